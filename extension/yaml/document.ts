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
  /** The value node (map, seq, scalar or null; an alias is resolved). */
  readonly value: unknown;
  /** Brought in by a merge key (`<<: *defaults`): the spans are those of the anchored mapping. */
  readonly merged?: boolean;
}

/** One document of a config file. */
export interface ConfigDocument {
  /** The whole file's text (spans are offsets into it). */
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

const nameOf = (keyNode: unknown): string => (YAML.isScalar(keyNode) ? String(keyNode.value) : String(keyNode));

/** The mappings a merge key's value names (`*a` or `[*a, *b]`), the first one winning as in YAML 1.1. */
function mergedMaps(value: unknown, doc: YAML.Document): YAML.YAMLMap[] {
  const items = YAML.isSeq(value) ? value.items : [value];
  return items.map((i) => (YAML.isAlias(i) ? i.resolve(doc) : i)).filter((m): m is YAML.YAMLMap => YAML.isMap(m));
}

function collect(map: YAML.YAMLMap, prefix: string, doc: YAML.Document, out: KeyEntry[], merged: boolean, depth = 0): void {
  const own = new Set(map.items.map((p) => nameOf(p.key)));
  for (const pair of map.items) {
    const name = nameOf(pair.key);
    const keySpan = spanOf(pair.key);
    if (!keySpan) continue;
    if (name === '<<' && depth < 8) {
      const taken = new Set(own);
      for (const m of mergedMaps(pair.value, doc)) {
        const sub = new YAML.YAMLMap<unknown, unknown>();
        sub.items = m.items.filter((p) => !taken.has(nameOf(p.key)));
        sub.items.forEach((p) => taken.add(nameOf(p.key)));
        collect(sub, prefix, doc, out, true, depth + 1);
      }
      continue;
    }
    const path = prefix ? `${prefix}.${name}` : name;
    let value = pair.value as unknown;
    if (YAML.isAlias(value)) value = value.resolve(doc) ?? value;
    const valueSpan = spanOf(pair.value);
    const emptyScalar = YAML.isScalar(value) && value.value === null && (value.source ?? '') === '';
    out.push({ path, name, keySpan, valueSpan: emptyScalar ? undefined : valueSpan, value, ...(merged ? { merged } : {}) });
    if (YAML.isMap(value)) collect(value, path, doc, out, merged, depth + 1);
  }
}

/** Parses config text into its documents (never throws; syntax errors are in each `doc.errors`); at least one. */
export function parseConfigDocuments(text: string): ConfigDocument[] {
  const lineCounter = new YAML.LineCounter();
  const docs = YAML.parseAllDocuments(text, { lineCounter, prettyErrors: false }) as YAML.Document.Parsed[];
  const all = docs.length ? docs : [YAML.parseDocument(text, { lineCounter, prettyErrors: false })];
  return all.map((doc) => {
    const entries: KeyEntry[] = [];
    if (YAML.isMap(doc.contents)) collect(doc.contents, '', doc, entries, false);
    return { text, doc, lineCounter, entries };
  });
}

/** The document of a config file that holds `offset` (the first one by default). */
export function parseConfigDocument(text: string, offset = 0): ConfigDocument {
  const docs = parseConfigDocuments(text);
  return docs.find((d) => offset >= d.doc.range[0] && offset <= d.doc.range[2]) ?? docs[0];
}

/** The entry whose key or value span contains `offset` (the innermost one), and which part was hit. */
export function entryAt(cd: ConfigDocument, offset: number): { entry: KeyEntry; part: 'key' | 'value' } | undefined {
  let found: { entry: KeyEntry; part: 'key' | 'value' } | undefined;
  for (const entry of cd.entries) {
    if (entry.merged) continue;
    if (offset >= entry.keySpan[0] && offset <= entry.keySpan[1]) found = { entry, part: 'key' };
    else if (entry.valueSpan && !YAML.isMap(entry.value) && offset >= entry.valueSpan[0] && offset <= entry.valueSpan[1]) found = { entry, part: 'value' };
  }
  return found;
}

/** The entry at a dotted path, if the file sets it. */
export const entryOf = (cd: ConfigDocument, path: string): KeyEntry | undefined => cd.entries.find((e) => e.path === path && !e.merged) ?? cd.entries.find((e) => e.path === path);

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
