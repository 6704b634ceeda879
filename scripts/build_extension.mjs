// Bundles the VS Code extension (dist/extension.js, `vscode` external) and its webviews
// (dist/webviews/<panel>.js + .css, browser IIFE). Imported by scripts/build.mjs.
import * as esbuild from 'esbuild';
import * as fs from 'node:fs';
import * as path from 'node:path';

const root = path.dirname(path.dirname(new URL(import.meta.url).pathname));
const out = path.join(root, 'dist');

await esbuild.build({
  entryPoints: { extension: path.join(root, 'extension/extension.ts') },
  outdir: out,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: true,
  logLevel: 'warning',
  external: ['vscode'],
});
const panels = ['curves', 'results', 'evaluation', 'experiments'];
await esbuild.build({
  entryPoints: Object.fromEntries(panels.map((p) => [p, path.join(root, 'webviews', p, 'main.ts')])),
  outdir: path.join(out, 'webviews'),
  bundle: true,
  platform: 'browser',
  target: 'es2022',
  format: 'iife',
  minify: true,
  sourcemap: false,
  logLevel: 'warning',
});
for (const p of panels) {
  const css = [path.join(root, 'webviews/shared/base.css'), path.join(root, 'webviews', p, `${p}.css`)].map((f) => fs.readFileSync(f, 'utf8')).join('\n');
  fs.writeFileSync(path.join(out, 'webviews', `${p}.css`), css);
}
console.log(`built dist/extension.js and dist/webviews/{${panels.join(',')}}.{js,css}`);
