/**
 * Depths of the cifar model families, for the editor's quick fixes. An adapter over the runtime's
 * depth rule until the family table (`nearestDepths(family, type, depth)` of runtime/config) lands:
 * then this body becomes a one-line call. Pure.
 */
import { depthRule } from '../../runtime/config/index';

/**
 * The valid depths next to `depth` (the largest below and the smallest above), nearest first.
 * @param family model name, e.g. `wrn`.
 * @param blockType the family's `block_type` (basic or bottleneck), undefined for families without one.
 * @returns [] for a family without a depth rule (vgg) or a depth that fits.
 */
export function nearestDepths(family: string, blockType: string | undefined, depth: number): number[] {
  const r = depthRule(family, blockType);
  if (!r || !Number.isInteger(depth)) return [];
  if (depth > r.b && (depth - r.b) % r.a === 0) return [];
  const n = Math.floor((depth - r.b) / r.a);
  const around = [n, n + 1].filter((k) => k >= 1).map((k) => r.a * k + r.b);
  return around.sort((x, y) => Math.abs(x - depth) - Math.abs(y - depth) || y - x);
}
