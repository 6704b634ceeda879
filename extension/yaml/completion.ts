/**
 * Completion items of a config file at a cursor offset: the keys of the enclosing section (at every
 * level) and the values of enumerated keys, booleans and depths that fit the model's block rule. Pure.
 */
import * as YAML from 'yaml';
import { familyNames, findLeaf, findNode, formatValue, validDepths, leafMarkdown, typeName } from '../../runtime/config/index';
import type { LeafSpec, SectionSpec } from '../../runtime/config/spec';
import { cursorContext } from './context';
import { entryOf, parseConfigDocument } from './document';
import { sectionMarkdown } from './hover';

/** Kind of a completion item (mapped to the editor's icons). */
export enum ItemKind {
  Section = 'section',
  Key = 'key',
  Value = 'value',
}

/** One completion item, editor-neutral. */
export interface CompletionEntry {
  readonly label: string;
  readonly kind: ItemKind;
  /** Text that replaces `[start, offset)`; `$0`-style snippet when `snippet` is true. */
  readonly insertText: string;
  readonly snippet: boolean;
  readonly start: number;
  readonly detail: string;
  readonly documentation: string;
  readonly sortText: string;
  /** Ask the editor to suggest again right after inserting (a value for the key just completed). */
  readonly retrigger: boolean;
  /** The key's default value (values: marks the default). */
  readonly preselect?: boolean;
}

const leafDetail = (spec: LeafSpec): string => `${typeName(spec)} = ${formatValue(spec, spec.default)}`;

function keyItems(section: string, siblings: readonly string[], start: number, indent: number): CompletionEntry[] {
  const node = findNode(section);
  if (!node || node.kind !== 'section') return [];
  const items: CompletionEntry[] = [];
  Object.entries((node as SectionSpec).children).forEach(([name, child], i) => {
    if (siblings.includes(name)) return;
    const path = section ? `${section}.${name}` : name;
    const sortText = String(i).padStart(3, '0');
    if (child.kind === 'section') {
      items.push({ label: name, kind: ItemKind.Section, insertText: `${name}:\n${' '.repeat(indent + 2)}`, snippet: false, start, detail: 'section', documentation: sectionMarkdown(path), sortText, retrigger: true });
    } else {
      const entry = findLeaf(path);
      const hasValues = child.type === 'bool' || child.allowed !== undefined || /\.depth$/.test(path);
      items.push({ label: name, kind: ItemKind.Key, insertText: `${name}: `, snippet: false, start, detail: leafDetail(child), documentation: entry ? leafMarkdown(entry) : child.description, sortText, retrigger: hasValues });
    }
  });
  return items;
}

/** Depths offered for a cifar model: every one that fits, up to this. */
const MAX_DEPTH_OFFERED = 300;

/** The values offered for a leaf, given the rest of the file (model name and block type for depths). */
export function valueCandidates(path: string, text: string): string[] {
  const leaf = findNode(path);
  if (!leaf || leaf.kind !== 'leaf') return [];
  const cd = parseConfigDocument(text);
  const scalar = (p: string): string | undefined => {
    const e = entryOf(cd, p);
    return e && YAML.isScalar(e.value) && e.value.value !== null ? String(e.value.value) : undefined;
  };
  if (path === 'model.name') {
    return familyNames(scalar('model.type') === 'imagenet' ? 'imagenet' : 'cifar');
  }
  if (leaf.allowed) return [...leaf.allowed];
  if (leaf.type === 'bool') return ['true', 'false'];
  const depth = /^model\.(\w+)\.depth$/.exec(path);
  if (depth) {
    const model = depth[1];
    const block = scalar(`model.${model}.block_type`) ?? (findLeaf(`model.${model}.block_type`)?.spec.default as string | undefined);
    return validDepths(model, block, MAX_DEPTH_OFFERED).map(String);
  }
  return [];
}

function valueItems(path: string, start: number, text: string): CompletionEntry[] {
  const entry = findLeaf(path);
  if (!entry) return [];
  const def = formatValue(entry.spec, entry.spec.default);
  return valueCandidates(path, text).map((v, i) => ({
    label: v,
    kind: ItemKind.Value,
    insertText: v,
    snippet: false,
    start,
    detail: v === def ? `${path} (default)` : path,
    documentation: entry.spec.description,
    sortText: String(i).padStart(3, '0'),
    retrigger: false,
    preselect: v === def,
  }));
}

/** Completion items at `offset` of `text`. */
export function configCompletions(text: string, offset: number): CompletionEntry[] {
  const ctx = cursorContext(text, offset);
  if (ctx.kind === 'key') return keyItems(ctx.section, ctx.siblings, ctx.start, ctx.indent);
  if (ctx.kind === 'value') return valueItems(ctx.path, ctx.start, text);
  return [];
}
