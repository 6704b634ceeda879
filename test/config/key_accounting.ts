/**
 * Key accounting: is every leaf of the config tree read by the runtime, marked compatibility-only,
 * or neither (a key that silently does nothing)? Reads come from a recording Proxy over the config
 * during real commands (runtime/config/reads.ts); for keys read only on paths a CPU test cannot
 * take (GPU, several processes), from a static scan of the runtime's sources for the key's
 * property chain (`cfg.train.dist.use_sync_bn`).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import ts from 'typescript';
import type { LeafEntry } from '../../runtime/config';

/** Names a config object goes by at the top of a chain (`cfg.device`). */
const ROOTS = ['cfg', 'config'];

/**
 * Every contiguous run of names of every property-access chain in the TypeScript files under
 * `dir` (recursively), except those under `exclude`: `cfg.train.dist.use_sync_bn` gives
 * `train.dist`, `dist.use_sync_bn`, `cfg.train.dist.use_sync_bn`, and so on. Comments and strings
 * are not code, so they do not count.
 */
export function sourceChains(dir: string, exclude: readonly string[]): Set<string> {
  const out = new Set<string>();
  const visitFile = (file: string): void => {
    const sf = ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
    const visit = (node: ts.Node): void => {
      if (ts.isPropertyAccessExpression(node) && !(ts.isPropertyAccessExpression(node.parent) && node.parent.expression === node)) {
        const names: string[] = [];
        let e: ts.Expression = node;
        while (ts.isPropertyAccessExpression(e)) {
          names.unshift(e.name.text);
          e = e.expression;
        }
        if (ts.isIdentifier(e)) names.unshift(e.text);
        for (let i = 0; i < names.length; i++) for (let j = i + 1; j <= names.length; j++) out.add(names.slice(i, j).join('.'));
      }
      ts.forEachChild(node, visit);
    };
    visit(sf);
  };
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (exclude.some((x) => p === x || p.startsWith(x + path.sep))) continue;
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) visitFile(p);
    }
  };
  walk(dir);
  return out;
}

/**
 * The property chain that reading a key takes in code: the shortest tail of its path, of at least
 * two names, that is the tail of no other key (`dist.backend`, but `train.dataloader.pin_memory`
 * since `validation.dataloader.pin_memory` exists); a top-level key as `cfg.key` or `config.key`.
 */
export function readerChains(key: string, allKeys: readonly string[]): string[] {
  const parts = key.split('.');
  if (parts.length === 1) return ROOTS.map((r) => `${r}.${key}`);
  for (let k = 2; k <= parts.length; k++) {
    const tail = parts.slice(-k).join('.');
    if (!allKeys.some((o) => o !== key && (o === tail || o.endsWith(`.${tail}`)))) return [tail];
  }
  return [key];
}

/** Where each leaf of the tree stands. */
export interface KeyAccount {
  /** Read through the config during the recorded commands. */
  read: string[];
  /** Not read by the recorded commands, but the runtime's sources read its chain (off-CPU paths). */
  readInSource: string[];
  /** Marked compatibility-only in the tree (and not read). */
  compat: string[];
  /** Problems: keys that are none of the above, a compatibility mark on a key that is read. */
  problems: string[];
}

/**
 * Accounts for every leaf: read (`reads`), read in the runtime's sources (`chains`, see
 * {@link sourceChains}) or compatibility-only (`spec.compat`).
 */
export function accountKeys(leaves: readonly LeafEntry[], reads: ReadonlySet<string>, chains: ReadonlySet<string>): KeyAccount {
  const all = leaves.map((l) => l.path);
  const acc: KeyAccount = { read: [], readInSource: [], compat: [], problems: [] };
  for (const { path: key, spec } of leaves) {
    const inSource = readerChains(key, all).some((c) => chains.has(c));
    if (spec.compat !== undefined) {
      if (reads.has(key)) acc.problems.push(`${key}: marked compatibility-only, but the runtime reads it`);
      else acc.compat.push(key);
    } else if (reads.has(key)) acc.read.push(key);
    else if (inSource) acc.readInSource.push(key);
    else acc.problems.push(`${key}: nothing reads it (no ${readerChains(key, all).join(' or ')} in the runtime outside runtime/config) and it is not marked compatibility-only`);
  }
  return acc;
}
