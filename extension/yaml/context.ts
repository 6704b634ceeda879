/**
 * Where the cursor is in a config file being typed, read from the `yaml` package's AST: a marker word
 * is put at the cursor and the text parsed (the parser recovers from the half-written lines of typing,
 * `model: {name: ` or `preact_stage: [True, `), and the node that holds the marker tells the section
 * path and whether a key or a value is typed. Works in block and flow maps, flow and block sequences,
 * under anchors, beside comments, in any document of a multi-document file. Pure.
 */
import * as YAML from 'yaml';
import { findNode } from '../../runtime/config/index';

/** What is being typed at the cursor. */
export type CursorContext =
  | {
      kind: 'key';
      /** Dotted path of the enclosing section ('' = top level). */
      section: string;
      /** The part of the key before the cursor. */
      prefix: string;
      /** Offset where the typed key starts. */
      start: number;
      /** Column of the key (where the lines of a multi-line insertion start). */
      indent: number;
      /** Keys already set in that mapping. */
      siblings: string[];
      /** Inside a flow mapping `{...}`. */
      flow: boolean;
    }
  | {
      kind: 'value';
      /** Dotted path of the key whose value is typed. */
      path: string;
      /** The part of the value before the cursor. */
      prefix: string;
      start: number;
      /** An item of a sequence (flow `[...]` or block `- `). */
      inList: boolean;
      /** Inside a flow collection. */
      flow: boolean;
    }
  | { kind: 'none' };

/** Put at the cursor before parsing: a plain scalar that no config spells. */
const MARK = 'ICLCURSORMARK';
const NONE: CursorContext = { kind: 'none' };

interface Hit {
  node: YAML.Scalar;
  /** `key`, `value`, a sequence index, or null (the document's top node). */
  key: number | 'key' | 'value' | null;
  path: ReadonlyArray<YAML.Node | YAML.Document | YAML.Pair>;
}

function findMark(doc: YAML.Document): Hit | undefined {
  let hit: Hit | undefined;
  YAML.visit(doc, {
    Scalar(key, node, path) {
      if (typeof node.source === 'string' && node.source.includes(MARK)) {
        hit = { node, key, path };
        return YAML.visit.BREAK;
      }
      return undefined;
    },
  });
  return hit;
}

const lineStartOf = (text: string, offset: number): number => text.lastIndexOf('\n', offset - 1) + 1;

/** The text of the marked node before the cursor (opening quote dropped), in the original text. */
function typedPart(text: string, node: YAML.Scalar, offset: number): { typed: string; start: number } {
  let start = Math.max(node.range?.[0] ?? offset, lineStartOf(text, offset));
  if (start < offset && (text[start] === '"' || text[start] === "'")) start++;
  return { typed: text.slice(start, offset), start };
}

const keyName = (pair: YAML.Pair): string => (YAML.isScalar(pair.key) ? String(pair.key.value) : String(pair.key));

/** Dotted path of the pairs among `path` (the first `n` ancestors), or undefined through a merge key or a sequence. */
function keyPath(path: Hit['path'], n: number): string | undefined {
  const parts: string[] = [];
  for (let i = 0; i < n; i++) {
    const a = path[i];
    if (YAML.isSeq(a)) return undefined;
    if (YAML.isPair(a)) {
      const name = keyName(a);
      if (name === '<<' || name.includes(MARK)) return undefined;
      parts.push(name);
    }
  }
  return parts.join('.');
}

function siblingsOf(map: unknown, except: YAML.Pair | undefined): string[] {
  if (!YAML.isMap(map)) return [];
  const keys = map.items.filter((p) => p !== except).map(keyName).filter((k) => !k.includes(MARK));
  // A key typed on an empty line above `momentum: 0.9` is read as one key `<typed> momentum`.
  const rest = except && YAML.isScalar(except.key) ? String(except.key.source ?? '').split(MARK)[1] : undefined;
  if (rest !== undefined && /^\s+\S/.test(rest)) keys.push(rest.trim());
  return keys;
}

function keyContext(text: string, offset: number, hit: Hit, section: string | undefined, map: unknown, pair: YAML.Pair | undefined): CursorContext {
  const { typed, start } = typedPart(text, hit.node, offset);
  if (section === undefined || !/^[A-Za-z_][\w]*$|^$/.test(typed)) return NONE;
  const nodeStart = hit.node.range?.[0] ?? start;
  return { kind: 'key', section, prefix: typed, start, indent: nodeStart - lineStartOf(text, nodeStart), siblings: siblingsOf(map, pair), flow: YAML.isMap(map) && map.flow === true };
}

function valueContext(text: string, offset: number, hit: Hit, path: string | undefined, parent: unknown): CursorContext {
  const { typed } = typedPart(text, hit.node, offset);
  if (path === undefined || /\s/.test(typed.trimStart()) || /[:#,]/.test(typed)) return NONE;
  const prefix = /[\w.+-]*$/.exec(typed)?.[0] ?? '';
  const flow = YAML.isCollection(parent) && parent.flow === true;
  return { kind: 'value', path, prefix, start: offset - prefix.length, inList: YAML.isSeq(parent), flow };
}

/** The context of a marker found as the value of a pair (a value, or a key typed on the next lines). */
function pairValueContext(text: string, offset: number, hit: Hit): CursorContext {
  const n = hit.path.length;
  const pair = hit.path[n - 1] as YAML.Pair;
  const map = hit.path[n - 2];
  const path = keyPath(hit.path, n);
  const keyEnd = (pair.key as YAML.Node | null)?.range?.[1] ?? 0;
  const onLaterLine = text.slice(keyEnd, hit.node.range?.[0] ?? offset).includes('\n');
  // `train:⏎  opt|`: the parser reads `opt` as the value of train; it is a key of the section being started.
  if (onLaterLine && path !== undefined && findNode(path)?.kind === 'section' && !(YAML.isMap(map) && map.flow)) return keyContext(text, offset, hit, path, undefined, undefined);
  return valueContext(text, offset, hit, path, map);
}

/** The cursor context at `offset` of `text`. */
export function cursorContext(text: string, offset: number): CursorContext {
  const marked = text.slice(0, offset) + MARK + text.slice(offset);
  for (const doc of YAML.parseAllDocuments(marked)) {
    const hit = findMark(doc);
    if (!hit) continue;
    const n = hit.path.length;
    if (hit.key === null) return keyContext(text, offset, hit, '', undefined, undefined);
    if (hit.key === 'key') return keyContext(text, offset, hit, keyPath(hit.path, n - 1), hit.path[n - 2], hit.path[n - 1] as YAML.Pair);
    if (hit.key === 'value') return pairValueContext(text, offset, hit);
    // An item of a sequence that is a pair's value.
    const seq = hit.path[n - 1];
    return YAML.isPair(hit.path[n - 2]) ? valueContext(text, offset, hit, keyPath(hit.path, n - 1), seq) : NONE;
  }
  return NONE;
}
