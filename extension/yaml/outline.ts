/**
 * The outline of a config file (the editor's Outline view and breadcrumbs): its sections and keys as
 * a tree, each leaf with its value, each section with its description; a multi-document file has one
 * node per document. Pure.
 */
import * as YAML from 'yaml';
import { findNode } from '../../runtime/config/index';
import { parseConfigDocuments, type Span } from './document';

/** One node of the outline. */
export interface OutlineNode {
  readonly name: string;
  /** A leaf's value as written (one line), a section's description, '' for unknown keys. */
  readonly detail: string;
  readonly kind: 'document' | 'section' | 'key' | 'unknown';
  /** The whole `key: value` (or document). */
  readonly span: Span;
  /** The key (what the editor selects). */
  readonly selection: Span;
  readonly children: OutlineNode[];
}

const oneLine = (s: string): string => {
  const flat = s.replace(/\s+/g, ' ').trim();
  return flat.length > 60 ? `${flat.slice(0, 57)}...` : flat;
};

function mapNodes(map: YAML.YAMLMap, prefix: string, text: string): OutlineNode[] {
  const out: OutlineNode[] = [];
  for (const pair of map.items) {
    const key = pair.key as YAML.Node | null;
    if (!key?.range) continue;
    const name = YAML.isScalar(key) ? String(key.value) : String(key);
    const path = prefix ? `${prefix}.${name}` : name;
    const value = pair.value as YAML.Node | null;
    let end = Math.max(key.range[1], value?.range?.[1] ?? 0);
    while (end > key.range[1] && /\s/.test(text[end - 1])) end--;
    const spec = name === '<<' ? undefined : findNode(path);
    const children = YAML.isMap(value) ? mapNodes(value, path, text) : [];
    const kind = spec?.kind === 'section' ? 'section' : spec ? 'key' : 'unknown';
    const detail = spec?.kind === 'section' ? spec.description : value?.range && !YAML.isMap(value) ? oneLine(text.slice(value.range[0], value.range[1])) : '';
    out.push({ name, detail, kind, span: [key.range[0], end], selection: [key.range[0], key.range[1]], children });
  }
  return out;
}

/** The outline of a config file's text. */
export function configOutline(text: string): OutlineNode[] {
  const docs = parseConfigDocuments(text);
  const trees = docs.map((cd) => (YAML.isMap(cd.doc.contents) ? mapNodes(cd.doc.contents, '', text) : []));
  if (docs.length <= 1) return trees[0] ?? [];
  return docs.map((cd, i) => {
    const [a, , b] = cd.doc.range;
    return { name: `document ${i + 1}`, detail: '', kind: 'document', span: [a, b], selection: [a, Math.min(b, a + 3)], children: trees[i] };
  });
}
