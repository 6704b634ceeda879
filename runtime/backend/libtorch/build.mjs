#!/usr/bin/env node
// npm run build:libtorch — builds the Node-API addon of the `libtorch` backend (native/) when a libtorch is found, in
// this order: $LIBTORCH (an unpacked libtorch, CPU or CUDA, as from pytorch.org), the libtorch inside a pip-installed
// PyTorch (`python3 -c 'import torch'`: its include/ and lib/; $ICL_PYTHON names another Python), Debian's
// libtorch-dev (headers in /usr/include). Without one it prints a single line and exits 0, so it never breaks an
// install. The C++ ABI flag comes from torch.compiled_with_cxx11_abi() (pip), from libc10.so's symbols ($LIBTORCH),
// or is 1 (Debian); $LIBTORCH_CXX11_ABI=0|1 overrides it. A CUDA libtorch (lib/libtorch_cuda.so present) is linked
// with --no-as-needed so that its CUDA libraries load (else torch::cuda::device_count() is 0, pytorch/pytorch#36437).
//
// It builds with npm's bundled node-gyp when that exists beside this Node; otherwise (a bare Node without npm, as the
// GPU check carries) it compiles the sources that native/binding.gyp lists with $CXX (else c++, g++ or clang++) directly, with
// binding.gyp's own flags (its `<!(node -p …)` expressions evaluated here) plus node-gyp's defaults for an addon.
// ICL_LIBTORCH_BUILD=direct forces that path.
// Output: runtime/backend/libtorch/native/build/Release/icl_libtorch.node (found by addon.ts).
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const native = path.join(here, 'native');

/** Include dirs of a libtorch rooted at `root` (its include/ and the C++ frontend's). */
const libtorchIncludes = (root) => [path.join(root, 'include'), path.join(root, 'include', 'torch', 'csrc', 'api', 'include')];

/** 1 when libc10.so in `libdir` was built with the C++11 ABI (its mangled names carry `B5cxx11`), else 0. */
function abiOfLibrary(libdir) {
  const file = path.join(libdir, 'libc10.so');
  if (!fs.existsSync(file)) return 1;
  return fs.readFileSync(file).includes('B5cxx11') ? 1 : 0;
}

/** The libtorch of the pip-installed PyTorch that `python` imports, or undefined. */
function pipTorch(python) {
  const r = spawnSync(python, ['-c', 'import torch, os; print(os.path.dirname(torch.__file__)); print(int(torch.compiled_with_cxx11_abi())); print(torch.__version__)'], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (r.status !== 0) return undefined;
  const [root, abi, version] = r.stdout.trim().split('\n');
  // Debian's python3-torch has lib/ and include/ATen but not the C++ API headers (those are in libtorch-dev).
  const needed = [['include', 'ATen', 'ATen.h'], ['include', 'torch', 'library.h'], ['lib', 'libtorch_cpu.so']];
  if (!needed.every((p) => fs.existsSync(path.join(root, ...p)))) return undefined;
  return { where: `PyTorch ${version} of ${python} (${root})`, includes: libtorchIncludes(root), libdir: path.join(root, 'lib'), abi: Number(abi) };
}

function findLibtorch() {
  const env = process.env.LIBTORCH;
  if (env) {
    if (!fs.existsSync(path.join(env, 'include', 'ATen', 'ATen.h'))) return { error: `LIBTORCH=${env} has no include/ATen/ATen.h` };
    const libdir = path.join(env, 'lib');
    return { where: env, includes: libtorchIncludes(env), libdir, abi: abiOfLibrary(libdir) };
  }
  const pip = pipTorch(process.env.ICL_PYTHON ?? 'python3');
  if (pip) return pip;
  const libdirs = ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib64', '/usr/lib'];
  const libdir = libdirs.find((d) => fs.existsSync(path.join(d, 'libtorch_cpu.so')));
  if (fs.existsSync('/usr/include/ATen/ATen.h') && libdir) {
    return { where: `Debian libtorch-dev (${libdir})`, includes: ['/usr/include', '/usr/include/torch/csrc/api/include'], libdir: '', systemLibdir: libdir, abi: 1 };
  }
  return undefined;
}

/** CUDA include dirs and the link flags that keep a CUDA libtorch's libraries loaded; empty for a CPU libtorch. */
function cudaParts(found) {
  const libdir = found.libdir || found.systemLibdir;
  if (!fs.existsSync(path.join(libdir, 'libtorch_cuda.so'))) return { includes: [], libs: '' };
  const homes = [process.env.CUDA_HOME, process.env.CUDA_PATH, '/usr/local/cuda'].filter(Boolean);
  const includes = homes.map((h) => path.join(h, 'include')).filter((d) => fs.existsSync(path.join(d, 'cuda_runtime_api.h'))).slice(0, 1);
  const c10cuda = fs.existsSync(path.join(libdir, 'libc10_cuda.so')) ? ' -lc10_cuda' : '';
  return { includes, libs: `-Wl,--no-as-needed -ltorch_cuda${c10cuda} -Wl,--as-needed` };
}

const found = findLibtorch();
if (!found || found.error) {
  console.log(`libtorch backend: not built (${found?.error ?? 'no libtorch: apt-get install libtorch-dev, pip install torch, or set LIBTORCH to an unpacked libtorch'})`);
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
const abi = process.env.LIBTORCH_CXX11_ABI === '0' || process.env.LIBTORCH_CXX11_ABI === '1' ? Number(process.env.LIBTORCH_CXX11_ABI) : found.abi;
const cuda = cudaParts(found);
const defines = distDefines(found);
const buildEnv = {
  ...process.env,
  LIBTORCH_INCLUDES: [...found.includes, ...cuda.includes].join(':'),
  LIBTORCH_LIBDIR: found.libdir,
  LIBTORCH_CXX11_ABI: String(abi),
  LIBTORCH_CUDA_LIBS: cuda.libs,
  ICL_DEFINES: defines.join(' '),
};
const gypJs = process.env.ICL_LIBTORCH_BUILD === 'direct'
  ? undefined
  : [
      process.env.npm_config_node_gyp,
      path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
    ].find((p) => p && fs.existsSync(p));
const nodeDir = path.join(path.dirname(process.execPath), '..');
const collectives = defines.includes('ICL_WITH_GLOO') ? `Gloo${defines.includes('ICL_WITH_NCCL') ? ' and NCCL' : ''}` : 'none, no gloo headers: apt-get install libgloo-dev for multi-process training';
const what = `${found.where}, C++11 ABI ${abi}${cuda.libs ? ', CUDA' : ', CPU only'}; collectives: ${collectives}`;
console.log(`libtorch backend: building the addon against ${what}${gypJs ? '' : process.env.ICL_LIBTORCH_BUILD === 'direct' ? ' (direct compile)' : ' (direct compile: no node-gyp beside this Node)'}`);
const t0 = Date.now();
const status = gypJs ? buildWithGyp(gypJs) : await buildDirect();
if (status !== 0) {
  console.error(`libtorch backend: build failed (${gypJs ? 'node-gyp' : 'the direct compile'} exit ${status})`);
  process.exit(status ?? 1);
}
console.log(`libtorch backend: built native/build/Release/icl_libtorch.node in ${((Date.now() - t0) / 1000).toFixed(0)} s`);

function buildWithGyp(gyp) {
  const args = [gyp, 'rebuild', '--release', '--loglevel=warn'];
  // Use the installed Node headers when present (no download, works offline).
  if (fs.existsSync(path.join(nodeDir, 'include', 'node', 'common.gypi'))) args.push(`--nodedir=${nodeDir}`);
  if (process.env.JOBS) args.push(`--jobs=${process.env.JOBS}`);
  return spawnSync(process.execPath, args, { cwd: native, stdio: 'inherit', env: buildEnv }).status;
}

/** Expands binding.gyp's `<!(node -p "…")` (one word) and `<!@(node -p "…")` (a list) with this Node and buildEnv. */
function expandGyp(items) {
  return (items ?? []).flatMap((s) => {
    const m = /^<!(@?)\(node -p "(.*)"\)$/.exec(s);
    if (!m) {
      return [s.replace(/<!\(node -p "(.*?)"\)/g, (_, expr) => execFileSync(process.execPath, ['-p', expr.replace(/\\"/g, '"')], { env: buildEnv, encoding: 'utf8' }).trim())];
    }
    const out = execFileSync(process.execPath, ['-p', m[2].replace(/\\"/g, '"')], { env: buildEnv, encoding: 'utf8' }).trim();
    return m[1] ? out.split(/\s+/).filter(Boolean) : [out];
  });
}

/** Compiles binding.gyp's sources with $CXX (in parallel, one job per core) and links the addon. */
async function buildDirect() {
  const gypText = fs.readFileSync(path.join(native, 'binding.gyp'), 'utf8').replace(/^\s*#.*$/gm, '');
  const target = JSON.parse(gypText).targets[0];
  const nodeInclude = path.join(nodeDir, 'include', 'node');
  if (!fs.existsSync(path.join(nodeInclude, 'node_api.h'))) {
    console.error(`libtorch backend: ${nodeInclude}/node_api.h missing (Node's headers are needed for a direct compile)`);
    return 1;
  }
  const removed = new Set(target['cflags_cc!'] ?? []);
  const cflags = [
    '-fPIC', '-pthread', '-m64', `-I${nodeInclude}`, `-DNODE_GYP_MODULE_NAME=${target.target_name}`, '-DBUILDING_NODE_EXTENSION',
    ...expandGyp(target.defines).map((d) => `-D${d}`),
    ...expandGyp(target.include_dirs).map((d) => `-I${d}`),
    ...expandGyp(target.cflags_cc).filter((f) => !removed.has(f)),
  ];
  const out = path.join(native, 'build', 'Release');
  const objDir = path.join(native, 'build', 'direct');
  fs.mkdirSync(out, { recursive: true });
  fs.mkdirSync(objDir, { recursive: true });
  const onPath = (exe) => (process.env.PATH ?? '').split(path.delimiter).some((d) => d && fs.existsSync(path.join(d, exe)));
  const cxx = process.env.CXX ?? ['c++', 'g++', 'clang++'].find(onPath) ?? 'c++';
  const run = (args) => new Promise((resolve) => {
    const p = spawn(cxx, args, { cwd: native, stdio: 'inherit' });
    p.on('error', (e) => {
      console.error(`libtorch backend: cannot run ${cxx}: ${e.message}`);
      resolve(127);
    });
    p.on('exit', (code) => resolve(code ?? 1));
  });
  const sources = expandGyp(target.sources);
  const objects = sources.map((s) => path.join(objDir, `${path.basename(s, path.extname(s))}.o`));
  const jobs = Math.max(1, Number(process.env.JOBS) || os.availableParallelism());
  const codes = [];
  for (let i = 0; i < sources.length; i += jobs) {
    codes.push(...(await Promise.all(sources.slice(i, i + jobs).map((s, k) => run([...cflags, '-c', s, '-o', objects[i + k]])))));
  }
  const failed = codes.find((c) => c !== 0);
  if (failed !== undefined) return failed;
  const libs = expandGyp(target.libraries);
  return run(['-shared', '-pthread', '-m64', '-o', path.join(out, `${target.target_name}.node`), ...objects, ...libs]);
}
