/**
 * A config YAML file seen through the `yaml` package's Document API: every key of every mapping with
 * its dotted path and the source ranges of its key and value. Pure (no vscode import).
 */
import * as YAML from 'yaml';

/** A `[start, end)` character range in the file's text. */
export type Span = readonly [number, number];

/** One `key: value` pair of the file. */
export interface KeyEntry {
  /** Dotted path, e.g. `model.wrn.depth`. */
  readonly path: string;
  /** The key's own name (last path segment). */
  readonly name: string;
  readonly keySpan: Span;
  /** Span of the value node; absent for `key:` with nothing after it. */
  readonly valueSpan?: Span;
  /** The value node (map, seq, scalar, alias or null). */
  readonly value: unknown;
}

/** A parsed config file. */
export interface ConfigDocument {
  readonly text: string;
  readonly doc: YAML.Document.Parsed;
  readonly lineCounter: YAML.LineCounter;
  /** Every pair of every mapping, in document order (nested pairs after their parent). */
  readonly entries: readonly KeyEntry[];
}

const spanOf = (node: unknown): Span | undefined => {
  const r = (node as YAML.Node | null)?.range;
  return r ? [r[0], r[1]] : undefined;
};

function collect(map: YAML.YAMLMap, prefix: string, doc: YAML.Document, out: KeyEntry[]): void {
  for (const pair of map.items) {
    const keyNode = pair.key as unknown;
    const name = YAML.isScalar(keyNode) ? String(keyNode.value) : String(keyNode);
    const keySpan = spanOf(keyNode);
    if (!keySpan) continue;
    const path = prefix ? `${prefix}.${name}` : name;
    let value = pair.value as unknown;
    if (YAML.isAlias(value)) value = value.resolve(doc) ?? value;
    const valueSpan = spanOf(pair.value);
    const emptyScalar = YAML.isScalar(value) && value.value === null && (value.source ?? '') === '';
    out.push({ path, name, keySpan, valueSpan: emptyScalar ? undefined : valueSpan, value });
    if (YAML.isMap(value)) collect(value, path, doc, out);
  }
}

/** Parses config text (never throws; syntax errors are in `doc.errors`). */
export function parseConfigDocument(text: string): ConfigDocument {
  const lineCounter = new YAML.LineCounter();
  const doc = YAML.parseDocument(text, { lineCounter, prettyErrors: false, keepSourceTokens: false });
  const entries: KeyEntry[] = [];
  if (YAML.isMap(doc.contents)) collect(doc.contents, '', doc, entries);
  return { text, doc, lineCounter, entries };
}

/** The entry whose key or value span contains `offset` (the innermost one), and which part was hit. */
export function entryAt(cd: ConfigDocument, offset: number): { entry: KeyEntry; part: 'key' | 'value' } | undefined {
  let found: { entry: KeyEntry; part: 'key' | 'value' } | undefined;
  for (const entry of cd.entries) {
    if (offset >= entry.keySpan[0] && offset <= entry.keySpan[1]) found = { entry, part: 'key' };
    else if (entry.valueSpan && !YAML.isMap(entry.value) && offset >= entry.valueSpan[0] && offset <= entry.valueSpan[1]) found = { entry, part: 'value' };
  }
  return found;
}

/** The entry at a dotted path, if the file sets it. */
export const entryOf = (cd: ConfigDocument, path: string): KeyEntry | undefined => cd.entries.find((e) => e.path === path);

/** 0-based line and character of an offset (the editor's convention). */
export function lineCharOf(text: string, offset: number): { line: number; character: number } {
  let line = 0;
  let start = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text[i] === '\n') {
      line++;
      start = i + 1;
    }
  }
  return { line, character: offset - start };
}

/** Offset of a 0-based line and character. */
export function offsetOf(text: string, line: number, character: number): number {
  let offset = 0;
  for (let l = 0; l < line; l++) {
    const nl = text.indexOf('\n', offset);
    if (nl < 0) return text.length;
    offset = nl + 1;
  }
  return offset + character;
}
