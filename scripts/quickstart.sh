#!/usr/bin/env bash
# Quick start: installs the real Fashion-MNIST data (Debian's dataset-fashion-mnist), the libtorch engine
# (Debian's libtorch-dev, and libgloo-dev for data-parallel collectives; see README "Quick start" for its size)
# and the npm packages, builds the libtorch addon, then trains ResNet-preact-8 on 6000 Fashion-MNIST images for
# 2 epochs and evaluates its checkpoint. Extra arguments are passed to `npm run train` as overrides.
# ICL_NO_LIBTORCH=1 (or --no-libtorch) skips libtorch: the run then uses wasm, several times slower.
set -euo pipefail
cd "$(dirname "$0")/.."

args=()
no_libtorch="${ICL_NO_LIBTORCH:-0}"
for a in "$@"; do
  if [ "$a" = "--no-libtorch" ]; then no_libtorch=1; else args+=("$a"); fi
done

packages=()
[ -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ] || packages+=(dataset-fashion-mnist)
if [ "$no_libtorch" != "1" ]; then
  dpkg -s libtorch-dev >/dev/null 2>&1 || packages+=(libtorch-dev)
  dpkg -s libgloo-dev >/dev/null 2>&1 || packages+=(libgloo-dev)
  command -v g++ >/dev/null || packages+=(g++)
  command -v make >/dev/null || packages+=(make)
fi
if [ ${#packages[@]} -gt 0 ]; then
  if command -v apt-get >/dev/null; then
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
    $SUDO apt-get update -q
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${packages[@]}"
  else
    echo "(no apt-get: install ${packages[*]} by hand, or see README; continuing without them)"
  fi
fi
[ -d node_modules ] || npm ci --no-audit --no-fund
if [ "$no_libtorch" != "1" ]; then
  # `device auto` then picks libtorch (about PyTorch's speed; several times wasm). If it does not build, one
  # line says why and the run uses wasm.
  [ -f runtime/backend/libtorch/native/build/Release/icl_libtorch.node ] || npm run --silent build:libtorch || echo "(the libtorch backend did not build: training on wasm)"
fi

out="experiments/fashion_mnist/resnet_preact_8/exp00"
n=0
while [ -e "$out" ]; do n=$((n + 1)); out=$(printf 'experiments/fashion_mnist/resnet_preact_8/exp%02d' "$n"); done

npm run --silent train -- --config configs/cifar/resnet_preact.yaml \
  dataset.name FashionMNIST model.resnet_preact.depth 8 \
  dataset.max_train_samples 6000 dataset.max_test_samples 2000 \
  scheduler.epochs 2 scheduler.type cosine train.batch_size 64 train.base_lr 0.1 \
  train.output_dir "$out" ${args[@]+"${args[@]}"}
npm run --silent evaluate -- --config "$out/config.yaml" test.checkpoint "$out/checkpoint_00002.ckpt"
echo "Run folder: $out (events.jsonl, log.txt, checkpoints; evaluation in $out/eval)"
