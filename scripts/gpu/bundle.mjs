// Bundles what the GPU check runs with a bare Node (scripts/gpu/prepare.sh calls it): the train, evaluate and bench
// CLIs and the batch worker (as scripts/build.mjs bundles them for dist/), the tfjs-backend-wasm binaries they look
// for beside themselves, and the libtorch kernel tests (test/backend/libtorch_kernels.test.ts) as one node:test file.
// The libtorch addon is not bundled: the check builds it on the GPU machine and names it with $ICL_LIBTORCH_ADDON.
// Usage: node scripts/gpu/bundle.mjs OUT_DIR   (writes OUT_DIR/cli/*.js, OUT_DIR/cli/*.wasm, OUT_DIR/tests/*.js)
import * as esbuild from 'esbuild';
import * as fs from 'node:fs';
import * as path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');
const out = path.resolve(process.argv[2] ?? '');
if (!process.argv[2]) throw new Error('usage: node scripts/gpu/bundle.mjs OUT_DIR');
const common = {
  bundle: true, platform: 'node', target: 'node20', format: 'cjs', logLevel: 'warning',
  external: ['@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu', 'tsx', 'tsx/*'],
};
await esbuild.build({
  ...common,
  entryPoints: {
    train: path.join(root, 'runtime/cli/train.ts'),
    evaluate: path.join(root, 'runtime/cli/evaluate.ts'),
    bench: path.join(root, 'runtime/cli/bench.ts'),
    'data-worker': path.join(root, 'runtime/data/loader_worker.ts'),
  },
  outdir: path.join(out, 'cli'),
});
await esbuild.build({
  ...common,
  entryPoints: { 'libtorch_kernels.test': path.join(root, 'test/backend/libtorch_kernels.test.ts') },
  // The tests import '@tensorflow/tfjs-backend-cpu' for its side effect (registering 'cpu'), which its package.json's
  // "sideEffects" list would let esbuild drop.
  ignoreAnnotations: true,
  outdir: path.join(out, 'tests'),
});
const wasmDir = path.join(root, 'node_modules/@tensorflow/tfjs-backend-wasm/dist');
for (const f of fs.readdirSync(wasmDir).filter((f) => f.endsWith('.wasm'))) fs.copyFileSync(path.join(wasmDir, f), path.join(out, 'cli', f));
console.log(`bundled ${path.relative(root, out)}/cli/{train,evaluate,bench,data-worker}.js, the .wasm binaries and tests/libtorch_kernels.test.js`);
