/**
 * Where the cursor is in a config file being typed, from the text's indentation (robust to the
 * half-written lines that a YAML parser cannot place yet): the section path and whether a key or a
 * value is being typed. Pure.
 */

/** What is being typed at the cursor. */
export type CursorContext =
  | { kind: 'key'; /** Dotted path of the enclosing section ('' = top level). */ section: string; prefix: string; /** Offset where the typed word starts. */ start: number; indent: number; /** Keys already set in that section. */ siblings: string[] }
  | { kind: 'value'; /** Dotted path of the key whose value is typed. */ path: string; prefix: string; start: number; /** Inside a flow list `[...]`. */ inList: boolean }
  | { kind: 'none' };

interface Line {
  indent: number;
  key?: string;
  /** Text after `key:` (trimmed, comment removed). */
  rest?: string;
  blank: boolean;
}

const KEY_LINE = /^(\s*)([A-Za-z_][\w.-]*)\s*:(?:\s+|$)(.*)$/;

function parseLine(text: string): Line {
  const noComment = text.replace(/(^|\s)#.*$/, '');
  if (noComment.trim() === '') return { indent: 0, blank: true };
  const indent = noComment.length - noComment.trimStart().length;
  const m = KEY_LINE.exec(noComment);
  if (!m) return { indent, blank: false };
  return { indent, key: m[2], rest: m[3].trim(), blank: false };
}

/** The section path that encloses a line indented by `indent`, looking at the lines above `lineNo`. */
function enclosing(lines: string[], lineNo: number, indent: number): string[] {
  const path: string[] = [];
  let limit = indent;
  for (let i = lineNo - 1; i >= 0 && limit > 0; i--) {
    const l = parseLine(lines[i]);
    if (l.blank || l.indent >= limit) continue;
    if (l.key !== undefined && (l.rest ?? '') === '') path.unshift(l.key);
    limit = l.indent;
  }
  return path;
}

/** Keys set directly in the section that contains line `lineNo` at indentation `indent`. */
function siblingKeys(lines: string[], lineNo: number, indent: number): string[] {
  const keys: string[] = [];
  const scan = (from: number, step: number): void => {
    for (let i = from; i >= 0 && i < lines.length; i += step) {
      const l = parseLine(lines[i]);
      if (l.blank || l.indent > indent) continue;
      if (l.indent < indent) break;
      if (l.key !== undefined) keys.push(l.key);
    }
  };
  scan(lineNo - 1, -1);
  scan(lineNo + 1, 1);
  return keys;
}

/** The cursor context at `offset` of `text`. */
export function cursorContext(text: string, offset: number): CursorContext {
  const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
  const before = text.slice(lineStart, offset);
  const lines = text.split('\n');
  const lineNo = text.slice(0, lineStart).split('\n').length - 1;
  if (/(^|\s)#/.test(before)) return { kind: 'none' };
  const keyTyping = /^(\s*)([A-Za-z_][\w]*)?$/.exec(before);
  if (keyTyping) {
    const indent = keyTyping[1].length;
    const prefix = keyTyping[2] ?? '';
    const section = enclosing(lines, lineNo, indent + (prefix === '' ? 0 : 0)).join('.');
    const siblings = siblingKeys(lines, lineNo, indent).filter((k) => k !== prefix);
    return { kind: 'key', section, prefix, start: offset - prefix.length, indent, siblings };
  }
  const valueTyping = /^(\s*)([A-Za-z_][\w]*)\s*:\s+(\[[^\]]*?)?([^\s,[\]]*)$/.exec(before);
  if (valueTyping) {
    const indent = valueTyping[1].length;
    const path = [...enclosing(lines, lineNo, indent), valueTyping[2]].join('.');
    const prefix = valueTyping[4];
    return { kind: 'value', path, prefix, start: offset - prefix.length, inList: valueTyping[3] !== undefined };
  }
  return { kind: 'none' };
}
