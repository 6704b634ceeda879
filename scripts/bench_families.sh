#!/usr/bin/env bash
# Times all nine CIFAR-type families against the original's PyTorch networks (issue 14's table in the README):
#   bash scripts/bench_families.sh [BATCH=64] [ROUNDS=5] > bench_families.jsonl
# One JSON line per family on stdout (npm run bench's result line with a "label" field); progress on stderr.
# Takes about 15 minutes on 2 cores at batch 64. Run it on an otherwise idle machine.
set -euo pipefail
cd "$(dirname "$0")/.."
B="${1:-64}"
R="${2:-5}"
run() {
  local label=$1 steps=$2
  shift 2
  echo "== $label $(date +%T), load average $(cut -d' ' -f1 /proc/loadavg)" >&2
  npm run --silent bench -- "$@" train.batch_size "$B" --pytorch --rounds "$R" --steps "$steps" \
    --eval-steps $((steps * 2)) --warmup 1 | tail -1 | sed "s/^{/{\"label\":\"$label\",/"
}
run resnet_preact-20 5 --config configs/cifar/resnet_preact.yaml model.resnet_preact.depth 20
run resnet-20 5 --config configs/cifar/resnet.yaml model.resnet.depth 20
run se_resnet_preact-20 5 --config configs/cifar/se_resnet_preact.yaml model.se_resnet_preact.depth 20
run wrn-16-4 3 --config configs/cifar/wrn.yaml model.wrn.depth 16 model.wrn.widening_factor 4
run vgg-15-bn 3 --config configs/cifar/vgg.yaml
run shake_shake-26-2x32d 2 --config configs/cifar/shake_shake.yaml model.shake_shake.depth 26 model.shake_shake.initial_channels 32
run pyramidnet-110-a84 1 --config configs/cifar/pyramidnet.yaml model.pyramidnet.depth 110 model.pyramidnet.alpha 84 model.pyramidnet.block_type basic
run densenet-bc-100-k12 1 --config configs/cifar/densenet.yaml
run resnext-29-8x16d 1 --config configs/cifar/resnext.yaml model.resnext.depth 29 model.resnext.base_channels 16
