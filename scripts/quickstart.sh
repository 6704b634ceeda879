#!/usr/bin/env bash
# Quick start: installs the real Fashion-MNIST data (Debian's dataset-fashion-mnist) and the npm
# packages, then trains ResNet-preact-8 on 6000 Fashion-MNIST images for 2 epochs (a few minutes on
# 2 cores) and evaluates its checkpoint. Extra arguments are passed to `npm run train` as overrides.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ]; then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q dataset-fashion-mnist
fi
[ -d node_modules ] || npm ci --no-audit --no-fund
# With libtorch installed (Debian: libtorch-dev; with libgloo-dev too for training in several processes) this builds the libtorch backend, which `device auto` then picks
# (several times faster than wasm); without it, one line says so and the run uses wasm.
[ -f runtime/backend/libtorch/native/build/Release/icl_libtorch.node ] || npm run --silent build:libtorch || echo "(the libtorch backend did not build: training on wasm)"

out="experiments/fashion_mnist/resnet_preact_8/exp00"
n=0
while [ -e "$out" ]; do n=$((n + 1)); out=$(printf 'experiments/fashion_mnist/resnet_preact_8/exp%02d' "$n"); done

npm run --silent train -- --config configs/cifar/resnet_preact.yaml \
  dataset.name FashionMNIST model.resnet_preact.depth 8 \
  dataset.max_train_samples 6000 dataset.max_test_samples 2000 \
  scheduler.epochs 2 scheduler.type cosine train.batch_size 64 train.base_lr 0.1 \
  train.output_dir "$out" "$@"
npm run --silent evaluate -- --config "$out/config.yaml" test.checkpoint "$out/checkpoint_00002.ckpt"
echo "Run folder: $out (events.jsonl, log.txt, checkpoints; evaluation in $out/eval)"
