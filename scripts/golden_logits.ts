/**
 * Rewrites test/fixtures/golden_logits.json with today's outputs of every model family on libtorch and wasm
 * (see test/models/golden_logits.ts). Run it only when a change is MEANT to alter the numbers, and say why in the
 * commit: `node --import tsx scripts/golden_logits.ts`. Without the libtorch addon it refuses (it would drop the
 * libtorch half of the fixture).
 */
import * as fs from 'node:fs';
import { loadAddon } from '../runtime/backend/libtorch';
import { writeTextAtomic } from '../runtime/util/atomic';
import { GOLDEN_DEVICES, GOLDEN_FAMILIES, GOLDEN_FIXTURE, goldenOutputs, type GoldenFixture } from '../test/models/golden_logits';

async function main(): Promise<void> {
  const lt = loadAddon();
  if (!lt.ok) throw new Error(`the libtorch addon is needed to record its half of the fixture: ${lt.reason}`);
  const out: GoldenFixture = {};
  for (const device of GOLDEN_DEVICES) {
    out[device] = {};
    for (const family of GOLDEN_FAMILIES) {
      out[device][family.name] = await goldenOutputs(device, family);
      process.stdout.write(`${device} ${family.name}\n`);
    }
  }
  fs.mkdirSync('test/fixtures', { recursive: true });
  // One line per logits array: a regenerated fixture's diff shows which outputs moved.
  const text = JSON.stringify(out, null, 1).replace(/\[\s+([^\]]*?)\s+\]/g, (_m, inner: string) => `[${inner.split(/,\s+/).join(', ')}]`);
  writeTextAtomic(GOLDEN_FIXTURE, `${text}\n`);
  process.stdout.write(`wrote ${GOLDEN_FIXTURE}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
