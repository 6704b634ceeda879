/**
 * Reading a YAML value node the way the runtime's loader does (strict yacs types), and checking it
 * against a leaf of the config tree. Pure.
 */
import * as YAML from 'yaml';
import { coerceLiteral, ConfigError, parseToken, type LeafSpec, type Literal } from '../../runtime/config';

/** The literal of a value node, as the runtime's `mergeYamlText` reads it. */
export function yamlLiteral(node: unknown, forString: boolean): Literal {
  if (YAML.isScalar(node)) {
    const source = typeof node.source === 'string' ? node.source : String(node.value ?? '');
    const plain = node.type === undefined || node.type === YAML.Scalar.PLAIN;
    if (forString || !plain || node.tag === 'tag:yaml.org,2002:str') return { kind: 'str', value: source };
    return parseToken(source);
  }
  if (YAML.isSeq(node)) return { kind: 'list', items: node.items.map((i) => yamlLiteral(i, false)), tuple: false };
  if (node === null || node === undefined) return { kind: 'none' };
  return { kind: 'str', value: String(node) };
}

/** Outcome of checking one value: the coerced value, or the kind and text of the problem. */
export type ValueCheck = { ok: true; value: unknown } | { ok: false; code: 'wrong-type' | 'not-allowed' | 'out-of-range'; message: string };

function rangeProblem(value: number, spec: LeafSpec): string | undefined {
  if (Number.isNaN(value)) return 'must be a number, got NaN';
  if (spec.minimum !== undefined && value < spec.minimum) return `must be >= ${spec.minimum}, got ${value}`;
  if (spec.maximum !== undefined && value > spec.maximum) return `must be <= ${spec.maximum}, got ${value}`;
  if (spec.exclusiveMaximum !== undefined && value >= spec.exclusiveMaximum) return `must be < ${spec.exclusiveMaximum}, got ${value}`;
  return undefined;
}

/** Checks a value node against a leaf: type (strict), allowed values, range. */
export function checkValue(path: string, spec: LeafSpec, node: unknown, raw: string): ValueCheck {
  let value: unknown;
  try {
    value = coerceLiteral(path, spec, yamlLiteral(node, spec.type === 'str'), raw, {});
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    const at = err.message.indexOf(`${path}: `);
    return { ok: false, code: 'wrong-type', message: at < 0 ? err.message : err.message.slice(at + path.length + 2) };
  }
  if (spec.allowed && !spec.allowed.includes(value as string)) {
    return { ok: false, code: 'not-allowed', message: `'${String(value)}' is not allowed (allowed: ${spec.allowed.join(', ')})` };
  }
  const numbers = typeof value === 'number' ? [value] : Array.isArray(value) ? value.filter((v): v is number => typeof v === 'number') : [];
  for (const n of numbers) {
    const p = rangeProblem(n, spec);
    if (p) return { ok: false, code: 'out-of-range', message: Array.isArray(value) ? `entries ${p}` : p };
  }
  return { ok: true, value };
}
