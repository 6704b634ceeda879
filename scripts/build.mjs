// Bundles what ships with esbuild: the runtime CLIs (dist/cli/*.js, runnable with plain `node`),
// the batch worker beside them, the tfjs-backend-wasm binaries they load and, when built, the libtorch addon.
// Optional packages (tfjs-node, tfjs-node-gpu) stay external: they are required at run time if present.
import * as esbuild from 'esbuild';
import * as fs from 'node:fs';
import * as path from 'node:path';

const root = path.dirname(path.dirname(new URL(import.meta.url).pathname));
const out = path.join(root, 'dist');
const clis = ['train', 'evaluate', 'summary', 'bench', 'schema', 'queue', 'submit'];

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: true,
  logLevel: 'warning',
  external: ['@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu', 'tsx', 'tsx/*'],
};

await esbuild.build({
  ...common,
  entryPoints: Object.fromEntries(clis.map((c) => [c, path.join(root, 'runtime/cli', `${c}.ts`)])),
  outdir: path.join(out, 'cli'),
});
await esbuild.build({
  ...common,
  entryPoints: {
    'data-worker': path.join(root, 'runtime/data/loader_worker.ts'),
    'allreduce-bench': path.join(root, 'runtime/distributed/bench_main.ts'),
  },
  outdir: path.join(out, 'cli'),
});
const wasmDir = path.join(root, 'node_modules/@tensorflow/tfjs-backend-wasm/dist');
for (const f of fs.readdirSync(wasmDir).filter((f) => f.endsWith('.wasm'))) {
  fs.copyFileSync(path.join(wasmDir, f), path.join(out, 'cli', f));
}
// The TensorBoard event protobufs (runtime/train/tensorboard/event_proto.ts looks beside the CLI).
const protoDst = path.join(out, 'cli', 'tensorboard-proto');
fs.mkdirSync(protoDst, { recursive: true });
for (const f of ['event.proto', 'summary.proto', 'histogram.proto']) {
  fs.copyFileSync(path.join(root, 'runtime/train/tensorboard/proto', f), path.join(protoDst, f));
}
// The libtorch backend's addon, when built (npm run build:libtorch), where the bundled CLIs look for it
// (runtime/backend/libtorch/addon.ts: <dir of the CLI>/native/build/Release); a stale copy is removed otherwise.
const addonRel = 'native/build/Release/icl_libtorch.node';
const addonSrc = path.join(root, 'runtime/backend/libtorch', addonRel);
const addonDst = path.join(out, 'cli', addonRel);
if (fs.existsSync(addonSrc)) {
  fs.mkdirSync(path.dirname(addonDst), { recursive: true });
  fs.copyFileSync(addonSrc, addonDst);
} else {
  fs.rmSync(addonDst, { force: true });
}
const extras = fs.existsSync(addonSrc) ? ', the wasm binaries, the TensorBoard protobufs and the libtorch addon' : ', the wasm binaries and the TensorBoard protobufs';
console.log(`built ${clis.map((c) => `dist/cli/${c}.js`).join(', ')}, dist/cli/{data-worker,allreduce-bench}.js${extras}`);
await import('./build_extension.mjs');
