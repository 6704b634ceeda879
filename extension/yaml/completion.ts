/**
 * Completion items of a config file at a cursor offset: the keys of the enclosing section (at every
 * level) and the values of enumerated keys, booleans and depths that fit the model's block rule. Pure.
 */
import * as YAML from 'yaml';
import { familyNames, findLeaf, findNode, formatValue, validDepths, leafMarkdown, typeName, type LeafSpec, type SectionSpec } from '../../runtime/config/index';
import { cursorContext, type CursorContext } from './context';
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

/**
 * Keys a new section is written with: those a config of it decides (the others keep their defaults).
 * Small sections get all their keys, a model's section its depth and block type.
 */
const SECTION_KEYS: Readonly<Record<string, readonly string[]>> = {
  dataset: ['name'],
  model: ['type', 'name'],
  train: ['batch_size', 'optimizer', 'base_lr'],
  scheduler: ['epochs', 'type'],
  'scheduler.warmup': ['type', 'epochs'],
};

/** The keys that a section key expands to (see {@link SECTION_KEYS}). */
export function requiredKeys(path: string): readonly string[] {
  const node = findNode(path);
  if (!node || node.kind !== 'section') return [];
  if (SECTION_KEYS[path]) return SECTION_KEYS[path];
  const leaves = Object.keys(node.children).filter((k) => node.children[k].kind === 'leaf');
  if (/^model\.\w+$/.test(path)) return ['block_type', 'depth'].filter((k) => leaves.includes(k));
  return leaves.length <= 3 ? leaves : [];
}

const escPlaceholder = (s: string): string => s.replace(/[\\$}]/g, (c) => `\\${c}`);
const escChoice = (s: string): string => s.replace(/[\\$}|,]/g, (c) => `\\${c}`);

/** Depths in a snippet's choice (the default first). */
const MAX_DEPTH_CHOICES = 6;

/** The snippet of a leaf's value: a choice of its values (the default first), else its default as a placeholder. */
function valueSnippet(path: string, spec: LeafSpec, text: string, offset: number, n: number): string {
  const def = formatValue(spec, spec.default);
  const values = valueCandidates(path, text, offset);
  if (values.length) {
    const choices = [def, ...values.filter((v) => v !== def)];
    // Depths: the first few that fit (the completion list offers them all).
    const shown = values.every((v) => /^\d+$/.test(v)) ? choices.slice(0, MAX_DEPTH_CHOICES) : choices;
    return `\${${n}|${shown.map(escChoice).join(',')}|}`;
  }
  return `\${${n}:${escPlaceholder(def)}}`;
}

/** The snippet of a section key: its required keys with their default values, or an empty mapping. */
function sectionSnippet(name: string, path: string, flow: boolean, indent: number, text: string, offset: number): string {
  const keys = requiredKeys(path);
  const pairs = keys.map((k, i) => `${k}: ${valueSnippet(`${path}.${k}`, findLeaf(`${path}.${k}`)?.spec as LeafSpec, text, offset, i + 1)}`);
  if (flow) return `${name}: {${pairs.length ? pairs.join(', ') : '$0'}}`;
  const pad = ' '.repeat(indent + 2);
  return `${name}:\n${pairs.length ? pairs.map((p) => pad + p).join('\n') : `${pad}$0`}`;
}

function keyItems(ctx: Extract<CursorContext, { kind: 'key' }>, text: string, offset: number): CompletionEntry[] {
  const node = findNode(ctx.section);
  if (!node || node.kind !== 'section') return [];
  const items: CompletionEntry[] = [];
  Object.entries((node as SectionSpec).children).forEach(([name, child], i) => {
    if (ctx.siblings.includes(name)) return;
    const path = ctx.section ? `${ctx.section}.${name}` : name;
    const base = { label: name, snippet: true, start: ctx.start, sortText: String(i).padStart(3, '0') };
    if (child.kind === 'section') {
      const insertText = sectionSnippet(name, path, ctx.flow, ctx.indent, text, offset);
      items.push({ ...base, kind: ItemKind.Section, insertText, detail: 'section', documentation: sectionMarkdown(path), retrigger: !insertText.includes('${1') });
    } else {
      const entry = findLeaf(path);
      const insertText = `${name}: ${valueSnippet(path, child, text, offset, 1)}`;
      items.push({ ...base, kind: ItemKind.Key, insertText, detail: leafDetail(child), documentation: entry ? leafMarkdown(entry) : child.description, retrigger: false });
    }
  });
  return items;
}

/** Depths offered for a cifar model: every one that fits, up to this. */
const MAX_DEPTH_OFFERED = 300;

/** The values offered for a leaf, given the rest of the file (model name and block type for depths). */
export function valueCandidates(path: string, text: string, offset = 0): string[] {
  const leaf = findNode(path);
  if (!leaf || leaf.kind !== 'leaf') return [];
  const cd = parseConfigDocument(text, offset);
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

/** The values offered for an item of a list leaf: booleans, in the file's own spelling (the original's configs write True/False). */
function itemCandidates(spec: LeafSpec, text: string): string[] {
  if (spec.type !== 'bool[]') return [];
  return /\b(True|False)\b/.test(text) ? ['True', 'False'] : ['true', 'false'];
}

function valueItems(ctx: Extract<CursorContext, { kind: 'value' }>, text: string, offset: number): CompletionEntry[] {
  const { path, start } = ctx;
  const entry = findLeaf(path);
  if (!entry) return [];
  const def = formatValue(entry.spec, entry.spec.default);
  const isList = entry.spec.type.endsWith('[]');
  // A list leaf gets values for its items only; a scalar leaf none inside a list.
  const values = isList ? (ctx.inList ? itemCandidates(entry.spec, text) : []) : ctx.inList ? [] : valueCandidates(path, text, offset);
  return values.map((v, i) => ({
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
  if (ctx.kind === 'key') return keyItems(ctx, text, offset);
  if (ctx.kind === 'value') return valueItems(ctx, text, offset);
  return [];
}
