#!/usr/bin/env bash
# The one-call GPU check (docs/gpu.md). Run from the repository root with .gpu-check/ (scripts/gpu/prepare.sh) beside
# it, on a machine with CUDA, a C++ compiler and PyTorch 2.x on python3; needs no Node (it unpacks the carried one)
# and no network. Five checks, one summary line each; exits 1 if any fails. Each is time-boxed so that the whole stays
# under 8 minutes (ICL_GPU_CHECK_BUDGET seconds, default 450).
#   1 build   the addon against python3's PyTorch libtorch (direct c++ compile: the carried Node has no npm/node-gyp)
#   2 kernels the libtorch kernel tests (test/backend/libtorch_kernels.test.ts) on CUDA tensors
#   3 train   the quick-start recipe (ResNet-preact-8, 6,000 Fashion-MNIST images, 2 epochs) on the GPU: accuracy
#   4 bench   training steps at batch 128 beside PyTorch eager on the same GPU, alternating rounds: ResNet-preact-20
#             and WRN-28-10, the ratios
#   5 dist    2 processes on the one GPU with c10d Gloo (--nproc_per_node 2)
# ICL_GPU_CHECK_DEVICE=cpu rehearses it all on the CPU (libtorch on CPU, the BN+ReLU kernels forced onto the path
# CUDA tensors take, smaller bench shapes); ICL_PYTHON names the Python with PyTorch (default python3). Full logs go
# to $OUT/gpu-check/ when $OUT is set (the device tool returns that folder), else to a temporary folder.
set -uo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
G="$root/.gpu-check"
mode=${ICL_GPU_CHECK_DEVICE:-cuda}
# The rehearsal runs on a shared 2-core machine: longer boxes (x ICL_GPU_CHECK_BOX_SCALE) and budget there.
[ "$mode" = cpu ] && scale=${ICL_GPU_CHECK_BOX_SCALE:-8} || scale=${ICL_GPU_CHECK_BOX_SCALE:-1}
budget=${ICL_GPU_CHECK_BUDGET:-$((450 * scale))}
py=${ICL_PYTHON:-python3}
t_start=$(date +%s)
work=$(mktemp -d /tmp/icl-gpu-check.XXXXXX)
logs="${OUT:-$work}/gpu-check"
mkdir -p "$logs"
declare -a summary=()
fails=0

if [ ! -f "$G/node.tar.xz" ]; then echo "check: $G/node.tar.xz missing: run scripts/gpu/prepare.sh first and carry .gpu-check" >&2; exit 2; fi
case "$mode" in
  cuda) device=cuda; test_device=cuda; quick=0 ;;
  cpu) device=libtorch; test_device=cpu; quick=1; export ICL_BN_RELU_GENERIC=1 ;;
  *) echo "check: ICL_GPU_CHECK_DEVICE must be cuda or cpu, got $mode" >&2; exit 2 ;;
esac

elapsed() { echo $(($(date +%s) - t_start)); }
# Seconds step may use: its own box, capped by what the budget has left (at least 5).
box() { local want=$(($1 * scale)) left=$((budget - $(elapsed))); [ "$want" -lt "$left" ] && echo "$want" || echo $((left > 5 ? left : 5)); }
record() { # name status detail seconds
  local line
  line=$(printf '%-8s %-4s %s (%ss)' "$1" "$2" "$3" "$4")
  summary+=("$line")
  echo "== $line"
  [ "$2" = PASS ] || fails=$((fails + 1))
}
# run NAME SECONDS CMD...: runs CMD under timeout, output to $logs/NAME.log (and its tail on failure); sets $rc, $took.
run() {
  local name=$1 secs=$2 t0
  boxed=$secs
  shift 2
  t0=$(date +%s)
  timeout --kill-after=5 "$secs" "$@" >"$logs/$name.log" 2>&1
  rc=$?
  took=$(($(date +%s) - t0))
  if [ "$rc" -ne 0 ]; then echo "-- $name exit $rc; last lines of $logs/$name.log:"; tail -n 15 "$logs/$name.log"; fi
}
timeout_note() { [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ] && echo "timed out after $boxed s" || echo "exit $rc"; }

echo "gpu check: mode $mode, commit $(cat "$G/COMMIT" 2>/dev/null || echo ?), budget $budget s, logs $logs"
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
"$py" -c 'import torch; print("python3 torch", torch.__version__, "cuda", torch.version.cuda, "devices", torch.cuda.device_count(), "cxx11 abi", torch.compiled_with_cxx11_abi())' 2>&1 | tail -n 1

# Node (carried; no npm, no node-gyp).
if command -v xz >/dev/null; then
  tar xJf "$G/node.tar.xz" -C "$work"
else # no xz-utils: Python's tarfile reads xz (lzma) too
  "$py" -c 'import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2])' "$G/node.tar.xz" "$work"
fi
node_bin=$(echo "$work"/node-v*/bin)
export PATH="$node_bin:$PATH"
node=$node_bin/node
"$node" --version >/dev/null || { echo "check: the carried Node does not run here" >&2; exit 2; }

# 1. Build the addon from the carried sources against $py's PyTorch (else $LIBTORCH, else Debian's libtorch-dev).
cp -r "$G/src" "$work/src"
addon="$work/src/runtime/backend/libtorch/native/build/Release/icl_libtorch.node"
run build "$(box 170)" env ICL_PYTHON="$py" ICL_LIBTORCH_BUILD=direct "$node" "$work/src/runtime/backend/libtorch/build.mjs"
built_ok=0
if [ "$rc" -eq 0 ] && [ -f "$addon" ]; then
  facts=$("$node" -e "const a = require(process.argv[1]); console.log(a.version(), a.cudaBuilt() ? 'CUDA' : 'CPU-only', a.cudaDeviceCount())" "$addon" 2>&1 | tail -n 1)
  read -r lt_version lt_kind lt_devices <<<"$facts"
  against=$(grep -o 'against .*' "$logs/build.log" | head -n 1)
  if [ "$mode" = cuda ] && { [ "$lt_kind" != CUDA ] || [ "${lt_devices:-0}" -lt 1 ]; }; then
    [ "$lt_kind" = CUDA ] && why="its CUDA libtorch $lt_version sees no CUDA device" || why="the libtorch found ($lt_version) is CPU-only: is PyTorch with CUDA on $py?"
    record build FAIL "built $against, but $why" "$took"
  else
    built_ok=1
    record build PASS "libtorch $lt_version, $lt_kind, $lt_devices CUDA device(s); $against" "$took"
  fi
else
  record build FAIL "$(timeout_note); see $logs/build.log" "$took"
fi
export ICL_LIBTORCH_ADDON="$addon"

if [ "$built_ok" -ne 1 ]; then
  for n in kernels train bench dist; do record "$n" FAIL "not run: step build failed" 0; done
else
  # 2. Kernel tests on $test_device tensors.
  run kernels "$(box 60)" env ICL_LIBTORCH_TEST_DEVICE="$test_device" "$node" --test --test-concurrency=1 "$G/app/tests/libtorch_kernels.test.js"
  pass=$(grep -m1 '^# pass' "$logs/kernels.log" | awk '{print $3}')
  failn=$(grep -m1 '^# fail' "$logs/kernels.log" | awk '{print $3}')
  skipn=$(grep -m1 '^# skipped' "$logs/kernels.log" | awk '{print $3}')
  if [ "$rc" -eq 0 ] && [ "${pass:-0}" -gt 0 ] && [ "${skipn:-1}" -eq 0 ]; then
    record kernels PASS "$pass tests on $test_device tensors" "$took"
  else
    record kernels FAIL "pass ${pass:-?}, fail ${failn:-?}, skipped ${skipn:-?}, $(timeout_note)" "$took"
  fi

  # 3. The quick-start recipe.
  qs=(--config "$G/configs/cifar/resnet_preact.yaml" dataset.name FashionMNIST dataset.dataset_dir "$G/data/fashion-mnist"
    model.resnet_preact.depth 8 dataset.max_train_samples 6000 dataset.max_test_samples 2000
    scheduler.epochs 2 scheduler.type cosine train.batch_size 64 train.base_lr 0.1 device "$device")
  run train "$(box 100)" "$node" "$G/app/cli/train.js" "${qs[@]}" train.output_dir "$work/quickstart"
  acc=$("$node" -e "
    const lines = require('fs').readFileSync(process.argv[1], 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const v = lines.filter((e) => e.type === 'epoch' && e.val).pop();
    console.log(v ? v.val.accuracy.toFixed(4) + ' ' + v.val.loss.toFixed(3) : 'none');" "$work/quickstart/events.jsonl" 2>/dev/null)
  backend_line=$(grep -m1 -o 'backend libtorch[^;]*' "$logs/train.log")
  read -r acc_v loss_v <<<"${acc:-none}"
  if [ "$rc" -eq 0 ] && [ "${acc_v:-none}" != none ] && awk -v a="$acc_v" 'BEGIN { exit !(a >= 0.70) }'; then
    record train PASS "test accuracy $acc_v, loss $loss_v (PyTorch's band 0.76-0.78) on ${backend_line:-?}" "$took"
  else
    record train FAIL "accuracy ${acc_v:-none} (needs >= 0.70), $(timeout_note), ${backend_line:-no backend line}" "$took"
  fi

  # 4. Side by side with PyTorch eager, alternating rounds.
  if [ "$quick" -eq 1 ]; then
    shapes=("resnet_preact_20|--config $G/configs/cifar/resnet_preact.yaml model.resnet_preact.depth 20 train.batch_size 32 --steps 2 --eval-steps 2 --rounds 2 --warmup 1"
      "wrn_10_2|--config $G/configs/cifar/wrn.yaml model.wrn.depth 10 model.wrn.widening_factor 2 train.batch_size 16 --steps 1 --eval-steps 1 --rounds 2 --warmup 1")
  else
    shapes=("resnet_preact_20|--config $G/configs/cifar/resnet_preact.yaml model.resnet_preact.depth 20 train.batch_size 128 --steps 20 --eval-steps 10 --rounds 3"
      "wrn_28_10|--config $G/configs/cifar/wrn.yaml train.batch_size 128 --steps 10 --eval-steps 5 --rounds 3")
  fi
  bench_ok=1
  bench_detail=()
  bench_took=0
  for s in "${shapes[@]}"; do
    name=${s%%|*}
    read -r -a args <<<"${s#*|}"
    run "bench_$name" "$(box 90)" env ICL_PYTHON="$py" "$node" "$G/app/cli/bench.js" "${args[@]}" device "$device" --pytorch
    bench_took=$((bench_took + took))
    res=$(tail -n 1 "$logs/bench_$name.log" | "$node" -e "
      let s = ''; process.stdin.on('data', (d) => (s += d)).on('end', () => {
        try { const j = JSON.parse(s);
          console.log(j.train_images_per_sec + '/' + j.pytorch_train_images_per_sec + ' img/s train ' + j.train_ratio + 'x, eval ' + j.eval_ratio + 'x');
        } catch { console.log(''); } });" 2>/dev/null)
    if [ "$rc" -eq 0 ] && [ -n "$res" ]; then bench_detail+=("$name $res"); else bench_ok=0; bench_detail+=("$name failed ($(timeout_note))"); fi
  done
  detail=$(IFS=';'; echo "${bench_detail[*]}")
  [ "$bench_ok" -eq 1 ] && record bench PASS "ours/PyTorch: ${detail//;/; }" "$bench_took" || record bench FAIL "${detail//;/; }" "$bench_took"

  # 5. Two processes on the one device with c10d Gloo.
  # The c10d backends compiled into the addon (process_group.cc): empty when it was built without gloo's headers.
  groups=$("$node" -e "const a = require(process.argv[1]); const b = a.pgBackends ? a.pgBackends() : {}; console.log(Object.keys(b).filter((k) => b[k]).join(','))" "$addon" 2>/dev/null)
  dist=(--nproc_per_node 2 --config "$G/configs/cifar/resnet_preact.yaml" dataset.name FashionMNIST dataset.dataset_dir "$G/data/fashion-mnist"
    model.resnet_preact.depth 8 dataset.max_train_samples 2000 dataset.max_test_samples 1000 scheduler.epochs 1 train.batch_size 32 device "$device")
  run dist "$(box 70)" "$node" "$G/app/cli/train.js" "${dist[@]}" train.output_dir "$work/dist"
  ended=$("$node" -e "
    const e = require('fs').readFileSync(process.argv[1], 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((x) => x.type === 'run_end').pop();
    console.log(e ? e.status : '');" "$work/dist/events.jsonl" 2>/dev/null)
  if [ -z "$groups" ]; then
    record dist FAIL "the addon was built without c10d Gloo (no gloo headers beside this libtorch: ls \$LIBTORCH/include/gloo); the 2-process run itself: exit $rc, ${ended:-no run_end}" "$took"
  elif [ "$rc" -eq 0 ] && [ "${ended:-}" = completed ]; then
    record dist PASS "2 processes on one $device device, c10d backends: $groups" "$took"
  else
    record dist FAIL "$(timeout_note), run_end ${ended:-absent}; see $logs/dist.log" "$took"
  fi
fi

echo
echo "gpu check summary (mode $mode, $(elapsed) s):"
printf '  %s\n' "${summary[@]}" | tee "$logs/summary.txt"
echo "gpu check: $((${#summary[@]} - fails))/${#summary[@]} passed"
rm -rf "$work/src/runtime/backend/libtorch/native/build/direct"
[ "$fails" -eq 0 ]
