// Bundles what ships with esbuild: the runtime CLIs (dist/cli/*.js, runnable with plain `node`),
// the batch worker beside them, and the tfjs-backend-wasm binaries they load.
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
  entryPoints: { 'data-worker': path.join(root, 'runtime/data/loader-worker.ts') },
  outdir: path.join(out, 'cli'),
});
const wasmDir = path.join(root, 'node_modules/@tensorflow/tfjs-backend-wasm/dist');
for (const f of fs.readdirSync(wasmDir).filter((f) => f.endsWith('.wasm'))) {
  fs.copyFileSync(path.join(wasmDir, f), path.join(out, 'cli', f));
}
console.log(`built ${clis.map((c) => `dist/cli/${c}.js`).join(', ')}, dist/cli/data-worker.js and the wasm binaries`);
await import('./build-extension.mjs');
