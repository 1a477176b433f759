#!/usr/bin/env bash
# Everything the GPU tables need, in one command (about 8 minutes on one H100/H200):
#   1. the efficiency table up to L=32,768, fp32 and bf16;
#   2. the ETTh1 L=96 table (4 horizons, 1 seed) in fp32, with its wall time;
#   3. ETTh1 H=96 again in bf16-mixed: validation loss against fp32's.
# The tables go to the folder given as the argument (default: $OUT); gpu_report.py sums
# them up in gpu.md. Copy them into benchmarks/results/ with the GPU's name.
#
#   bash benchmarks/gpu.sh /tmp/gpu_tables          # on the GPU machine
#   bash benchmarks/gpu.sh --smoke /tmp/gpu_smoke   # the same steps, tiny, on CPU (a test)
set -euo pipefail
cd "$(dirname "$0")/.."
smoke=0
out="${OUT:-}"
for arg in "$@"; do
    case "$arg" in
        --smoke) smoke=1 ;;
        -*) echo "gpu.sh: unknown option $arg (use --smoke and an output folder)" >&2; exit 2 ;;
        *) out="$arg" ;;
    esac
done
if [ -z "$out" ]; then
    echo "gpu.sh: give an output folder (or set \$OUT)" >&2
    exit 2
fi
mkdir -p "$out"
py="${PYTHON:-python}"
if [ "$smoke" = 1 ]; then
    device=cpu
    efficiency=(--smoke)
    ltsf=(--epochs 1 --train-windows 256 --overrides '{"d_model": 16, "n_blocks": 1}')
    horizons=(96)
else
    device=cuda
    efficiency=(--lookbacks 96,512,2048,8192,32768 --batch-size 32)
    ltsf=(--epochs 10)
    horizons=(96 192 336 720)
fi
started=$(date +%s)
for precision in fp32 bf16; do
    "$py" -m benchmarks.efficiency --device "$device" --precision "$precision" "${efficiency[@]}" \
        --out-dir "$out" --name "efficiency_gpu_$precision" > "$out/efficiency_$precision.log"
done
ltsf_started=$(date +%s)
"$py" -m benchmarks.ltsf --datasets ETTh1 --models ACMix --seeds 0 --horizons "${horizons[@]}" \
    "${ltsf[@]}" --out-dir "$out/ltsf_fp32" > "$out/ltsf_fp32.log"
ltsf_wall=$(( $(date +%s) - ltsf_started ))
"$py" -m benchmarks.ltsf --datasets ETTh1 --models ACMix --seeds 0 --horizons 96 \
    "${ltsf[@]}" --precision bf16-mixed --out-dir "$out/ltsf_bf16" > "$out/ltsf_bf16.log"
"$py" -m benchmarks.gpu_report "$out" --ltsf-wall "$ltsf_wall" \
    --total-wall "$(( $(date +%s) - started ))"
