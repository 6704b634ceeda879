/** Did-you-mean suggestions for unknown keys; re-exports the config error (`config_error.ts`). */
import { configLeaves, configSections, findNode } from './tree';

export { ConfigError, formatOrigin, type Origin } from './config_error';

/** Levenshtein distance with adjacent transpositions (optimal string alignment). */
export function editDistance(a: string, b: string): number {
  const d: number[][] = [];
  for (let i = 0; i <= a.length; i++) d.push([i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 0; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

function closest(target: string, candidates: readonly string[], maxDist: number): string[] {
  let best = Infinity;
  let found: string[] = [];
  for (const c of candidates) {
    const dist = editDistance(target.toLowerCase(), c.toLowerCase());
    if (dist > maxDist) continue;
    if (dist < best) {
      best = dist;
      found = [c];
    } else if (dist === best) {
      found.push(c);
    }
  }
  return found;
}

/**
 * Did-you-mean suggestions for an unknown dotted key: first a close sibling name under the same
 * section, then a close full dotted key, then keys with the same last name elsewhere
 * (`train.epochs` -> `scheduler.epochs`).
 */
export function suggestKeys(key: string): string[] {
  const parts = key.split('.');
  const name = parts[parts.length - 1];
  // The deepest existing section along the path.
  let depth = 0;
  while (depth < parts.length - 1) {
    const node = findNode(parts.slice(0, depth + 1).join('.'));
    if (!node || node.kind !== 'section') break;
    depth++;
  }
  const parentPath = parts.slice(0, depth).join('.');
  const parent = findNode(parentPath);
  if (depth === parts.length - 1 && parent && parent.kind === 'section') {
    const names = Object.keys(parent.children);
    const near = closest(name, names, Math.max(1, Math.floor(name.length / 3)));
    if (near.length) return near.map((n) => (parentPath ? `${parentPath}.${n}` : n));
  }
  const all = [...configSections().map((s) => s.path).filter((p) => p !== ''), ...configLeaves().map((l) => l.path)];
  const near = closest(key, all, Math.max(2, Math.floor(key.length / 5)));
  if (near.length) return near.slice(0, 3);
  const sameName = all.filter((p) => p.split('.').pop() === name);
  if (sameName.length) return sameName.slice(0, 4);
  if (depth < parts.length - 1 && parent && parent.kind === 'section') {
    // The path goes wrong at a section: suggest a close section name there.
    const seg = parts[depth];
    const names = Object.keys(parent.children).filter((n) => parent.children[n].kind === 'section');
    const nearSec = closest(seg, names, Math.max(1, Math.floor(seg.length / 3)));
    if (nearSec.length) return nearSec.map((n) => [parentPath, n, ...parts.slice(depth + 1)].filter(Boolean).join('.')).filter((p) => findNode(p));
  }
  return [];
}

/** `did you mean a or b?` for an unknown key, or '' when nothing is close. */
export function didYouMean(key: string): string {
  const s = suggestKeys(key);
  if (!s.length) return '';
  return ` (did you mean ${s.length === 1 ? s[0] : `${s.slice(0, -1).join(', ')} or ${s[s.length - 1]}`}?)`;
}
