#!/usr/bin/env node
// npm run build:libtorch — builds the Node-API addon of the `libtorch` backend (native/) with node-gyp when a
// libtorch is found: $LIBTORCH (an unpacked libtorch, CPU or CUDA, as from pytorch.org) or Debian's libtorch-dev
// (headers in /usr/include). Without one it prints a single line and exits 0, so it never breaks an install.
// Output: runtime/backend/libtorch/native/build/Release/icl_libtorch.node (found by addon.ts).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const native = path.join(here, 'native');

function findLibtorch() {
  const env = process.env.LIBTORCH;
  if (env) {
    const inc = path.join(env, 'include');
    if (!fs.existsSync(path.join(inc, 'ATen', 'ATen.h'))) return { error: `LIBTORCH=${env} has no include/ATen/ATen.h` };
    return { where: env, includes: [inc, path.join(inc, 'torch', 'csrc', 'api', 'include')], libdir: path.join(env, 'lib') };
  }
  const libdirs = ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib64', '/usr/lib'];
  const libdir = libdirs.find((d) => fs.existsSync(path.join(d, 'libtorch_cpu.so')));
  if (fs.existsSync('/usr/include/ATen/ATen.h') && libdir) {
    return { where: `Debian libtorch-dev (${libdir})`, includes: ['/usr/include', '/usr/include/torch/csrc/api/include'], libdir: '' };
  }
  return undefined;
}

const found = findLibtorch();
if (!found || found.error) {
  console.log(`libtorch backend: not built (${found?.error ?? 'no libtorch: apt-get install libtorch-dev, or set LIBTORCH to an unpacked libtorch'})`);
  process.exit(0);
}
// c10d's collectives (native/process_group.cc): Gloo needs gloo's headers (Debian: libgloo-dev; some libtorch
// distributions ship them in include/), NCCL a libtorch built with it (ProcessGroupNCCL.hpp, libtorch_cuda) and nccl.h.
function distDefines(f) {
  const incs = [...f.includes, '/usr/include', '/usr/local/include'];
  const has = (rel) => incs.some((d) => fs.existsSync(path.join(d, rel)));
  const defines = [];
  if (has('gloo/config.h') && has('torch/csrc/distributed/c10d/ProcessGroupGloo.hpp')) defines.push('ICL_WITH_GLOO');
  const cudaLib = f.libdir && fs.existsSync(path.join(f.libdir, 'libtorch_cuda.so'));
  if (defines.length && cudaLib && has('torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp') && (has('nccl.h') || process.env.NCCL_INCLUDE_DIR)) defines.push('ICL_WITH_NCCL');
  return defines;
}
const defines = distDefines(found);
const gypJs = [
  process.env.npm_config_node_gyp,
  path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
].find((p) => p && fs.existsSync(p));
if (!gypJs) {
  console.log('libtorch backend: not built (node-gyp not found; it ships with npm)');
  process.exit(0);
}
const args = [gypJs, 'rebuild', '--release', '--loglevel=warn'];
// Use the installed Node headers when present (no download, works offline).
const nodeDir = path.join(path.dirname(process.execPath), '..');
if (fs.existsSync(path.join(nodeDir, 'include', 'node', 'common.gypi'))) args.push(`--nodedir=${nodeDir}`);
if (process.env.JOBS) args.push(`--jobs=${process.env.JOBS}`);
console.log(`libtorch backend: building the addon against ${found.where} (collectives: ${defines.includes('ICL_WITH_GLOO') ? `Gloo${defines.includes('ICL_WITH_NCCL') ? ' and NCCL' : ''}` : 'none, no gloo headers: apt-get install libgloo-dev for multi-process training'})`);
const t0 = Date.now();
const r = spawnSync(process.execPath, args, {
  cwd: native,
  stdio: 'inherit',
  env: { ...process.env, LIBTORCH_INCLUDES: found.includes.join(':'), LIBTORCH_LIBDIR: found.libdir, ICL_DEFINES: defines.join(' ') },
});
if (r.status !== 0) {
  console.error(`libtorch backend: build failed (node-gyp exit ${r.status})`);
  process.exit(r.status ?? 1);
}
console.log(`libtorch backend: built native/build/Release/icl_libtorch.node in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
