/**
 * Writing configs in the original's style: `key: value`, two-space nesting, flow lists `[a, b]`.
 * Everything written loads back through `loadConfig` to an identical config.
 */
import * as YAML from 'yaml';
import { firstControl } from './one_line';
import type { LeafSpec, SectionSpec } from './spec';
import { CONFIG_TREE, type Config } from './tree';

/** Formats a float so that it reads back as a float (`0.0`, `0.0001`, `1e-9`). */
export function formatFloat(v: number): string {
  if (Number.isNaN(v)) return '.nan';
  if (!Number.isFinite(v)) return v > 0 ? '.inf' : '-.inf';
  if (Number.isInteger(v) && Math.abs(v) < 1e16) return v.toFixed(1);
  return String(v);
}

/**
 * Formats a string as a YAML scalar: plain when it reads back as itself, else single-quoted; one
 * with control characters (which a validated config never holds) double-quoted with escapes, so
 * it stays one line and reads back unchanged.
 */
export function formatString(s: string): string {
  if (firstControl(s)) return JSON.stringify(s);
  if (s !== '' && s.trim() === s) {
    const doc = YAML.parseDocument(`k: ${s}\n`);
    const node = YAML.isMap(doc.contents) ? doc.contents.items[0]?.value : undefined;
    if (!doc.errors.length && YAML.isScalar(node) && node.type === YAML.Scalar.PLAIN && node.source === s && typeof node.value === 'string') {
      return s;
    }
  }
  return `'${s.replace(/'/g, "''")}'`;
}

/** Formats a leaf value as YAML. */
export function formatValue(spec: LeafSpec, value: unknown): string {
  switch (spec.type) {
    case 'int':
      return String(value);
    case 'float':
      return formatFloat(value as number);
    case 'bool':
      return value ? 'true' : 'false';
    case 'str':
      return formatString(value as string);
    case 'float[]':
      return `[${(value as number[]).map(formatFloat).join(', ')}]`;
    default:
      return `[${(value as Array<number | boolean>).map((x) => String(x)).join(', ')}]`;
  }
}

function sameValue(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => Object.is(x, b[i]));
  return Object.is(a, b);
}

function dumpSection(spec: SectionSpec, obj: Record<string, unknown>, indent: string, onlyChanged: boolean): string[] {
  const lines: string[] = [];
  for (const [name, child] of Object.entries(spec.children)) {
    const value = obj[name];
    if (child.kind === 'leaf') {
      if (onlyChanged && sameValue(value, child.default)) continue;
      lines.push(`${indent}${name}: ${formatValue(child, value)}`);
    } else {
      const inner = dumpSection(child, value as Record<string, unknown>, `${indent}  `, onlyChanged);
      if (inner.length) lines.push(`${indent}${name}:`, ...inner);
    }
  }
  return lines;
}

/** The full config as YAML (what a run folder's `config.yaml` holds). */
export function dumpConfig(cfg: Config): string {
  return `${dumpSection(CONFIG_TREE, cfg as unknown as Record<string, unknown>, '', false).join('\n')}\n`;
}

/**
 * Only the keys whose values differ from the defaults, as YAML (the original's `config_min.yaml`);
 * the empty string when nothing differs.
 */
export function dumpMinConfig(cfg: Config): string {
  const lines = dumpSection(CONFIG_TREE, cfg as unknown as Record<string, unknown>, '', true);
  return lines.length ? `${lines.join('\n')}\n` : '';
}

function plainSection(spec: SectionSpec, obj: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, child] of Object.entries(spec.children)) {
    const v = obj[name];
    out[name] = child.kind === 'leaf' ? (Array.isArray(v) ? [...v] : v) : plainSection(child, v as Record<string, unknown>);
  }
  return out;
}

/** A detached, JSON-ready copy of the config in tree order (for the `run_start` event). */
export function configToPlainObject(cfg: Config): Record<string, unknown> {
  return plainSection(CONFIG_TREE, cfg as unknown as Record<string, unknown>);
}
