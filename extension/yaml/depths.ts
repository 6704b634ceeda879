/** Depths of the cifar model families, for the editor's quick fixes, from the runtime's family table. Pure. */
import { nearestDepths as tableNearest } from '../../runtime/config/index';

/**
 * The valid depths next to `depth` (the largest below and the smallest above), nearest first.
 * @param family model name, e.g. `wrn`.
 * @param blockType the family's `block_type` (basic or bottleneck), undefined for families without one.
 * @returns [] for a family without a depth rule (vgg) or a depth that fits.
 */
export function nearestDepths(family: string, blockType: string | undefined, depth: number): number[] {
  if (!Number.isInteger(depth)) return [];
  const near = tableNearest(family, blockType, depth);
  if (near.length === 1 && near[0] === depth) return [];
  return near.sort((x, y) => Math.abs(x - depth) - Math.abs(y - depth) || y - x);
}
