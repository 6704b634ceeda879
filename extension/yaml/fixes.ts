/**
 * Quick fixes of the config diagnostics: an unknown key renamed to a close one, a value not allowed
 * changed to the closest allowed one, a depth that does not fit changed to the nearest depths that
 * do, a wrong type converted where no information is lost (`64.0` for an int, `yes` for a bool,
 * `80` for a list), and of two batch-mixing methods one kept. Pure: text and a diagnostic in, edits out.
 */
import * as YAML from 'yaml';
import { editDistance, findLeaf, findNode, parseToken, type LeafSpec, type Literal } from '../../runtime/config/index';
import { nearestDepths } from './depths';
import { DiagnosticCode, type ConfigDiagnostic } from './diagnostics';
import { entryOf, parseConfigDocument, type Span } from './document';
import { checkValue } from './values';

/** Replace `span` by `newText`. */
export interface TextEdit {
  readonly span: Span;
  readonly newText: string;
}

/** One quick fix: a title and its edits. */
export interface QuickFix {
  readonly title: string;
  readonly edits: readonly TextEdit[];
  /** The fix to apply with the editor's "auto fix" (one per diagnostic at most). */
  readonly preferred: boolean;
}

const one = (title: string, span: Span, newText: string, preferred: boolean): QuickFix => ({ title, edits: [{ span, newText }], preferred });

/** The allowed values closest to `value` (case-insensitive edit distance), closest first, at most 3. */
export function closestAllowed(value: string, allowed: readonly string[]): string[] {
  const v = value.toLowerCase();
  const scored = allowed.map((a) => ({ a, d: a.toLowerCase() === v ? 0 : editDistance(v, a.toLowerCase()) + 0.5 }));
  const limit = Math.max(2, Math.ceil(v.length / 2));
  return scored.filter((s) => s.d <= limit).sort((x, y) => x.d - y.d).slice(0, 3).map((s) => s.a);
}

function enumFixes(text: string, d: ConfigDiagnostic): QuickFix[] {
  const leaf = d.path ? findLeaf(d.path) : undefined;
  if (!leaf?.spec.allowed) return [];
  // Only a value that is written (an empty one is reported on its key).
  if (entryOf(parseConfigDocument(text, d.span[0]), leaf.path)?.valueSpan?.[0] !== d.span[0]) return [];
  const value = text.slice(...d.span).replace(/^(['"])(.*)\1$/, '$2');
  return closestAllowed(value, leaf.spec.allowed).map((a, i) => one(`Change to '${a}'`, d.span, a, i === 0));
}

function depthFixes(text: string, d: ConfigDiagnostic): QuickFix[] {
  const m = /^model\.(\w+)\.depth$/.exec(d.path ?? '');
  if (!m) return [];
  const cd = parseConfigDocument(text, d.span[0]);
  const entry = entryOf(cd, m[0]);
  if (!entry?.valueSpan || entry.valueSpan[0] !== d.span[0] || entry.merged) return [];
  const depth = Number(text.slice(...entry.valueSpan));
  const block = entryOf(cd, `model.${m[1]}.block_type`);
  const blockType = block && YAML.isScalar(block.value) ? String(block.value.value) : (findLeaf(`model.${m[1]}.block_type`)?.spec.default as string | undefined);
  return nearestDepths(m[1], blockType, depth).map((n, i) => one(`Change depth to ${n}`, entry.valueSpan as Span, String(n), i === 0));
}

const YAML11_BOOLS: Readonly<Record<string, boolean>> = { y: true, yes: true, on: true, true: true, n: false, no: false, off: false, false: false };

/** The literal a scalar's text stands for when read without its quotes (`'64'` -> 64). */
function content(node: unknown): string | undefined {
  return YAML.isScalar(node) && typeof node.source === 'string' ? node.source.trim() : undefined;
}

/** A lossless spelling of one scalar for an element type, or undefined. */
function convertScalar(el: string, node: unknown): string | undefined {
  const src = content(node);
  if (src === undefined) return undefined;
  if (el === 'bool') {
    const b = YAML11_BOOLS[src.toLowerCase()];
    return b === undefined ? undefined : String(b);
  }
  const lit: Literal = parseToken(src);
  if (lit.kind !== 'int' && lit.kind !== 'float') return undefined;
  if (!Number.isFinite(lit.value)) return undefined;
  if (el === 'int') return Number.isInteger(lit.value) ? String(lit.value) : undefined;
  return src;
}

const ELEMENT: Readonly<Record<string, string>> = { int: 'int', float: 'float', bool: 'bool', 'int[]': 'int', 'float[]': 'float', 'bool[]': 'bool' };

/** The value converted to the leaf's type without loss, or undefined. */
export function convertedValue(spec: LeafSpec, node: unknown): string | undefined {
  const el = ELEMENT[spec.type];
  if (el === undefined) return undefined;
  if (!spec.type.endsWith('[]')) return convertScalar(el, node);
  if (YAML.isSeq(node)) {
    const items = node.items.map((i) => convertScalar(el, i) ?? content(i));
    return items.every((i) => i !== undefined) ? `[${items.join(', ')}]` : undefined;
  }
  const item = convertScalar(el, node);
  return item === undefined ? undefined : `[${item}]`;
}

function typeFixes(text: string, d: ConfigDiagnostic): QuickFix[] {
  const leaf = d.path ? findNode(d.path) : undefined;
  if (!leaf || leaf.kind !== 'leaf' || !d.path) return [];
  const entry = entryOf(parseConfigDocument(text, d.span[0]), d.path);
  if (!entry?.valueSpan || entry.valueSpan[0] !== d.span[0]) return [];
  const newText = convertedValue(leaf, entry.value);
  if (newText === undefined) return [];
  // Offered only when the converted value passes the same check.
  const node = YAML.parseDocument(newText).contents;
  return checkValue(d.path, leaf, node, newText).ok ? [one(`Convert to ${newText}`, d.span, newText, true)] : [];
}

const MIXERS = ['mixup', 'ricap', 'cutmix'] as const;

function mixingFixes(text: string, d: ConfigDiagnostic): QuickFix[] {
  const cd = parseConfigDocument(text, d.span[0]);
  const on = MIXERS.map((m) => ({ m, e: entryOf(cd, `augmentation.use_${m}`) })).filter(({ e }) => e?.valueSpan && YAML.isScalar(e.value) && e.value.value === true);
  if (on.length < 2 || on.some(({ e }) => e?.merged)) return [];
  // The first one (priority mixup > ricap > cutmix) is the one that runs now: keeping it changes nothing.
  return on.map(({ m }, i) => ({
    title: `Keep only use_${m} (turn off ${on.filter((o) => o.m !== m).map((o) => `use_${o.m}`).join(' and ')})`,
    edits: on.filter((o) => o.m !== m).map((o) => ({ span: o.e?.valueSpan as Span, newText: 'false' })),
    preferred: i === 0,
  }));
}

/** The quick fixes of one diagnostic of `text` (as `configDiagnostics` returned it). */
export function quickFixes(text: string, d: ConfigDiagnostic): QuickFix[] {
  switch (d.code) {
    case DiagnosticCode.UnknownKey:
      return (d.replacements ?? []).map((name, i) => one(`Change to '${name}'`, d.span, name, i === 0));
    case DiagnosticCode.NotAllowed:
      return enumFixes(text, d);
    case DiagnosticCode.Check:
      return depthFixes(text, d);
    case DiagnosticCode.WrongType:
      return typeFixes(text, d);
    case DiagnosticCode.BatchMixing:
      return mixingFixes(text, d);
    default:
      return [];
  }
}
