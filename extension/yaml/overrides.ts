/**
 * Completion in the Run overrides box (`key value key value ...`): at a key, the dotted keys of the
 * config tree that contain what is typed (those set already left out); at a value, the key's allowed
 * values, booleans or fitting depths. Pure.
 */
import { configLeaves, findNode, formatValue, typeName } from '../../runtime/config/index';
import { splitOverrides } from '../runs/launch';
import { valueCandidates } from './completion';

/** One suggestion of the box. */
export interface OverrideItem {
  readonly label: string;
  readonly description: string;
  readonly detail: string;
  /** The box's whole text once the suggestion is taken (ends with a space, ready for the next token). */
  readonly value: string;
  /** What is typed is this suggestion already. */
  readonly exact: boolean;
}

/** The token being typed (or '' after a space) and the tokens before it. */
function lastToken(typed: string): { before: string[]; token: string; base: string } {
  const tokens = splitOverrides(typed);
  if (typed === '' || /\s$/.test(typed) || !tokens.length) return { before: tokens, token: '', base: typed };
  const token = tokens[tokens.length - 1];
  return { before: tokens.slice(0, -1), token, base: typed.slice(0, typed.length - token.length) };
}

/** Enough for every key of the tree: the quick pick scrolls. */
const MAX_KEYS = 400;

function keyItems(before: readonly string[], token: string, base: string): OverrideItem[] {
  const set = new Set(before.filter((_, i) => i % 2 === 0));
  const t = token.toLowerCase();
  const leaves = configLeaves().filter((l) => !set.has(l.path) && l.path.toLowerCase().includes(t));
  // Keys that start with the typed text (or whose last name does) first.
  const rank = (p: string): number => (p.toLowerCase().startsWith(t) ? 0 : (p.split('.').pop() as string).toLowerCase().startsWith(t) ? 1 : 2);
  return leaves
    .map((l, i) => ({ l, i, r: rank(l.path) }))
    .sort((a, b) => a.r - b.r || a.i - b.i)
    .slice(0, MAX_KEYS)
    .map(({ l }) => ({ label: l.path, description: `${typeName(l.spec)} = ${formatValue(l.spec, l.spec.default)}`, detail: l.spec.description, value: `${base}${l.path} `, exact: l.path === token }));
}

/**
 * The suggestions for what is typed in the box.
 * @param configText the config being run (the model it names decides the depths offered).
 */
export function overrideCompletions(typed: string, configText = ''): OverrideItem[] {
  const { before, token, base } = lastToken(typed);
  if (before.length % 2 === 0) return keyItems(before, token, base);
  const key = before[before.length - 1].replace(/^--?(?=[a-zA-Z])/, '');
  const node = findNode(key);
  if (!node || node.kind !== 'leaf') return [];
  const def = formatValue(node, node.default);
  return valueCandidates(key, configText)
    .filter((v) => v.toLowerCase().startsWith(token.toLowerCase()))
    .map((v) => ({ label: v, description: v === def ? `${key} (default)` : key, detail: node.description, value: `${base}${v} `, exact: v === token }));
}
