/**
 * Merging values into a config: YAML documents (with positions for messages) and command-line
 * `key value` pairs, with yacs' strict typing (except that an int is accepted for a float).
 */
import * as YAML from 'yaml';
import { ConfigError, didYouMean, type Origin } from './errors';
import { describeKind, formatLiteral, parseLiteral, parseToken, type Literal } from './literal';
import type { LeafSpec, SectionSpec } from './spec';
import { CONFIG_TREE, findNode, setPath, type Config } from './tree';

/** Where each leaf that was set got its value from (dotted key -> origin). */
export type Origins = Map<string, Origin>;

/** The origin used for command-line overrides. */
export const COMMAND_LINE: Origin = Object.freeze({});

const ELEMENT: Record<string, string> = { 'int[]': 'int', 'float[]': 'float', 'bool[]': 'bool' };
const PLURAL: Record<string, string> = { int: 'ints', float: 'floats (or ints)', bool: 'bools' };

/** Human description of what a leaf expects, e.g. `a list of 5 ints`. */
export function expectedType(leaf: LeafSpec): string {
  switch (leaf.type) {
    case 'int':
      return 'an int';
    case 'float':
      return 'a float (or an int)';
    case 'bool':
      return 'a bool (true or false)';
    case 'str':
      return 'a string';
    default: {
      const el = PLURAL[ELEMENT[leaf.type]];
      const n = leaf.lengths;
      const count = n && n.length ? `${n.length === 1 ? n[0] : `${n.slice(0, -1).join(', ')} or ${n[n.length - 1]}`} ` : '';
      return `a list of ${count}${el}`;
    }
  }
}

function scalarOk(el: string, lit: Literal): boolean {
  if (el === 'int') return lit.kind === 'int';
  if (el === 'float') return lit.kind === 'int' || lit.kind === 'float';
  if (el === 'bool') return lit.kind === 'bool';
  return lit.kind === 'str';
}

/**
 * Checks a literal against a leaf's type and returns the value to store.
 * @param raw the value as the user wrote it, for the message.
 * @throws ConfigError on a type mismatch.
 */
export function coerceLiteral(key: string, leaf: LeafSpec, lit: Literal, raw: string, origin: Origin): unknown {
  const fail = (): never => {
    const shown = lit.kind === 'str' ? formatLiteral(lit) : raw.trim() || formatLiteral(lit);
    throw new ConfigError(`expected ${expectedType(leaf)}, got ${describeKind(lit)} ${shown}`, { key, origin });
  };
  const el = ELEMENT[leaf.type];
  if (el === undefined) {
    if (!scalarOk(leaf.type, lit)) fail();
    return (lit as { value: unknown }).value;
  }
  if (lit.kind !== 'list' || !lit.items.every((item) => scalarOk(el, item))) fail();
  const items = (lit as Extract<Literal, { kind: 'list' }>).items as Array<{ value: number | boolean }>;
  if (leaf.lengths && !leaf.lengths.includes(items.length)) fail();
  return items.map((i) => i.value);
}

/** Context of one merge: the config being built and the origins of its values. */
export interface MergeContext {
  cfg: Config;
  origins: Origins;
}

function positionOf(node: YAML.Node | YAML.Scalar | null | undefined, lc: YAML.LineCounter, file: string, fallback = 0): Origin {
  const offset = node?.range ? node.range[0] : fallback;
  const pos = lc.linePos(offset);
  return { file, line: pos.line, column: pos.col };
}

function yamlLiteral(node: unknown, forString: boolean, doc: YAML.Document): Literal {
  if (YAML.isAlias(node)) return yamlLiteral(node.resolve(doc), forString, doc);
  if (YAML.isScalar(node)) {
    const source = typeof node.source === 'string' ? node.source : String(node.value ?? '');
    const plain = node.type === undefined || node.type === YAML.Scalar.PLAIN;
    if (forString || !plain || node.tag === 'tag:yaml.org,2002:str') return { kind: 'str', value: source };
    return parseToken(source);
  }
  if (YAML.isSeq(node)) return { kind: 'list', items: node.items.map((i) => yamlLiteral(i, false, doc)), tuple: false };
  if (node === null || node === undefined) return { kind: 'none' };
  return { kind: 'str', value: String(node) };
}

/** First line of a `yaml` parser message, without its trailing position (we prefix our own). */
function yamlReason(err: YAML.YAMLError): string {
  return err.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
}

/**
 * Parses YAML text and merges it into `ctx`, key by key.
 * @param file the path shown in messages.
 * @throws ConfigError for YAML syntax errors, unknown keys and wrong types, with `file:line:col`.
 */
export function mergeYamlText(ctx: MergeContext, text: string, file: string): void {
  const lc = new YAML.LineCounter();
  // YAML 1.1 merge keys (`<<: *defaults`) as PyYAML reads them; duplicate keys are reported by mergeMap with both lines.
  const doc = YAML.parseDocument(text, { lineCounter: lc, prettyErrors: false, merge: true, uniqueKeys: false });
  if (doc.errors.length) {
    const err = doc.errors[0];
    const pos = err.linePos?.[0] ?? lc.linePos(err.pos[0]);
    throw new ConfigError(`YAML syntax error: ${yamlReason(err)}`, { origin: { file, line: pos.line, column: pos.col } });
  }
  const root = doc.contents;
  if (root === null || (YAML.isScalar(root) && (root.value === null || root.value === ''))) return;
  if (!YAML.isMap(root)) {
    throw new ConfigError('the top level must be a mapping of sections (e.g. `train:`)', { origin: positionOf(root, lc, file) });
  }
  mergeMap(ctx, root, '', CONFIG_TREE, { doc, lc, file, text });
}

interface YamlSource {
  doc: YAML.Document;
  lc: YAML.LineCounter;
  file: string;
  text: string;
}

function isMergeKey(node: unknown): boolean {
  return YAML.isScalar(node) && (typeof node.value === 'symbol' || (node.value === '<<' && node.type === YAML.Scalar.PLAIN));
}

/**
 * Merges the maps a merge key (`<<: *a` or `<<: [*a, *b]`) names; in a list the earlier map wins,
 * as in YAML 1.1, and the keys of the map holding the merge key win over all of them.
 */
function mergeMergeKey(ctx: MergeContext, pair: YAML.Pair, path: string, spec: SectionSpec, src: YamlSource): void {
  const value = pair.value as YAML.Node | null;
  const items = YAML.isSeq(value) ? [...value.items] : [value];
  for (const item of items.reverse()) {
    const m = YAML.isAlias(item) ? item.resolve(src.doc) : item;
    if (!YAML.isMap(m)) {
      throw new ConfigError('a merge key (<<) takes a mapping or a list of them, e.g. <<: *defaults', { key: path ? `${path}.<<` : '<<', origin: positionOf(item as YAML.Node | null, src.lc, src.file) });
    }
    mergeMap(ctx, m, path, spec, src);
  }
}

function mergeMap(ctx: MergeContext, map: YAML.YAMLMap, path: string, spec: SectionSpec, src: YamlSource): void {
  const { doc, lc, file } = src;
  for (const pair of map.items) if (isMergeKey(pair.key)) mergeMergeKey(ctx, pair, path, spec, src);
  const seen = new Map<string, number>();
  for (const pair of map.items) {
    const keyNode = pair.key as YAML.Node | null;
    if (isMergeKey(keyNode)) continue;
    const name = YAML.isScalar(keyNode) ? String(keyNode.value) : String(keyNode);
    const key = path ? `${path}.${name}` : name;
    const keyPos = positionOf(keyNode, lc, file);
    const firstLine = seen.get(name);
    if (firstLine !== undefined) {
      throw new ConfigError(`duplicate key: set on line ${firstLine} and again on line ${keyPos.line ?? '?'}`, { key, origin: keyPos });
    }
    seen.set(name, keyPos.line ?? 0);
    if (!Object.prototype.hasOwnProperty.call(spec.children, name)) {
      throw new ConfigError(`unknown key${didYouMean(key)}`, { key, origin: keyPos });
    }
    const child = spec.children[name];
    let value = pair.value as unknown;
    if (YAML.isAlias(value)) value = value.resolve(doc);
    const valuePos = positionOf(value as YAML.Node | null, lc, file, keyNode?.range?.[0] ?? 0);
    if (child.kind === 'section') {
      if (YAML.isMap(value)) {
        mergeMap(ctx, value, key, child, src);
      } else if (value === null || (YAML.isScalar(value) && value.value === null && (value.source ?? '') === '')) {
        // An empty section (everything commented out): nothing to merge.
      } else {
        const first = Object.keys(child.children)[0];
        throw new ConfigError(`is a section, not a value: give its keys as a mapping (e.g. ${key}.${first})`, { key, origin: valuePos });
      }
      continue;
    }
    if (YAML.isMap(value)) {
      throw new ConfigError(`is a value (${expectedType(child)}), not a section`, { key, origin: valuePos });
    }
    const node = value as YAML.Node | null;
    const raw = node?.range ? src.text.slice(node.range[0], node.range[1]) : '';
    const lit = yamlLiteral(value, child.type === 'str', doc);
    const v = coerceLiteral(key, child, lit, raw, valuePos);
    setPath(ctx.cfg, key, v);
    ctx.origins.set(key, valuePos);
  }
}

/** Strips the quotes of a token that is one whole quoted Python string literal. */
function unquote(token: string): string {
  if (/^'.*'$|^".*"$/s.test(token)) {
    const lit = parseLiteral(token);
    if (lit?.kind === 'str') return lit.value;
  }
  return token;
}

/**
 * Merges command-line override pairs (`key value key value ...`) into `ctx`. Values are parsed like
 * Python's `literal_eval` (plus YAML's true/false); a value that does not parse stays a string; a
 * value for a string key is taken verbatim (a fully quoted token is unquoted).
 * @throws ConfigError for an odd token count, unknown keys, sections given a value and wrong types.
 */
export function mergeOverrides(ctx: MergeContext, tokens: readonly string[]): void {
  if (tokens.length % 2 === 1) {
    let dangling = tokens[tokens.length - 1];
    for (let i = 0; i + 1 < tokens.length; i += 2) {
      const next = findNode(tokens[i + 1]);
      if (findNode(tokens[i])?.kind === 'leaf' && next !== undefined && next.kind === 'leaf') {
        dangling = tokens[i];
        break;
      }
    }
    throw new ConfigError(`overrides must be key value pairs, but '${dangling}' has no value`, { origin: COMMAND_LINE });
  }
  for (let i = 0; i < tokens.length; i += 2) {
    const key = tokens[i].replace(/^--?(?=[a-zA-Z])/, '');
    const token = tokens[i + 1];
    const node = findNode(key);
    if (node === undefined) {
      throw new ConfigError(`unknown key${didYouMean(key)}`, { key, origin: COMMAND_LINE });
    }
    if (node.kind === 'section') {
      const first = Object.keys(node.children)[0];
      throw new ConfigError(`is a section, not a value: set its keys one by one (e.g. ${key ? `${key}.` : ''}${first} ...)`, { key, origin: COMMAND_LINE });
    }
    const lit: Literal = node.type === 'str' ? { kind: 'str', value: unquote(token) } : parseToken(token);
    const v = coerceLiteral(key, node, lit, token, COMMAND_LINE);
    setPath(ctx.cfg, key, v);
    ctx.origins.set(key, COMMAND_LINE);
  }
}
