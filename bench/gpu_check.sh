#!/usr/bin/env bash
# The GPU check, prepared for a session that has a GPU (one script, under 8 minutes):
#   1. the `reference` profile (the seed's recipe: ratio 4, lr 0.05, 10 epochs,
#      batch 128, input 224, Xavier) — target: test acc >= 0.919;
#   2. bench_vs_d2l.py at input 224 for a fixed number of batches, d2l vs ours.
# Results go to bench/results/gpu-<GPU name>-<date>.txt (and a .log of everything).
#
# Needs: a Python with torch (PY=... to choose; default .venv/bin/python, else
# python3) and Fashion-MNIST where course_utils.data finds it (data/ in the repo,
# $FASHION_MNIST_DIR, or Debian's package). A device machine has no internet:
# carry data/ there. Without d2l installed, step 2 times ours only.
#
#   bash bench/gpu_check.sh            # or: REF_TIMEOUT=300 BENCH_BATCHES=100 bash ...
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PY:-.venv/bin/python}
[ -x "$PY" ] || PY=python3
REF_TIMEOUT=${REF_TIMEOUT:-330}       # 10 epochs at 224 on an H100 take ~1-3 min
BENCH_TIMEOUT=${BENCH_TIMEOUT:-120}
BENCH_BATCHES=${BENCH_BATCHES:-100}   # enough for a steady state on a GPU, cheap for d2l

command -v nvidia-smi >/dev/null || { echo "no nvidia-smi: this is not a GPU machine" >&2; exit 1; }
GPU=$(nvidia-smi --query-gpu=name --format=csv,noheader | head -n 1)
SAFE=$(echo "$GPU" | tr -cs 'A-Za-z0-9' '-' | sed 's/-*$//')
STAMP=$(date +%Y-%m-%d)
mkdir -p bench/results
RESULT="bench/results/gpu-${SAFE}-${STAMP}.txt"
LOG="bench/results/gpu-${SAFE}-${STAMP}.log"
BENCH_OUT="bench/results/gpu-${SAFE}-${STAMP}-bench.txt"
: > "$LOG"                            # a rerun the same day starts these afresh
rm -f "$BENCH_OUT"

{
  echo "# GPU check $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "gpu: $GPU"
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
  "$PY" -c 'import torch, platform; print("torch", torch.__version__, "cuda", torch.version.cuda, "python", platform.python_version())'
  grep -m1 'model name' /proc/cpuinfo || true
  echo "cpu cores: $(nproc)"
} | tee "$RESULT"

"$PY" -m course_utils.data --no-install --no-download >>"$LOG" 2>&1 || {
  echo "Fashion-MNIST not found: carry data/ or set FASHION_MNIST_DIR" | tee -a "$RESULT"; exit 1; }

echo "## 1. reference profile (target: test acc >= 0.919)" | tee -a "$RESULT"
set +e
timeout "$REF_TIMEOUT" "$PY" -m course_utils.train --profile reference --device cuda:0 \
  >>"$LOG" 2>&1
REF_RC=$?
set -e
# the profile line, the d2l-style summary, and the precision / wall-time line
{ grep -E '^(profile |epoch |loss |[0-9.]+ examples/sec|precision )' "$LOG" || true; } | tail -n 16 | tee -a "$RESULT"
echo "reference exit code: $REF_RC (124 = ran out of time)" | tee -a "$RESULT"

echo "## 2. bench_vs_d2l at input 224, $BENCH_BATCHES batches" | tee -a "$RESULT"
SKIP=""
"$PY" -c 'import d2l' 2>/dev/null || { SKIP="--skip-d2l"; echo "d2l is not installed: ours only" | tee -a "$RESULT"; }
set +e
timeout "$BENCH_TIMEOUT" "$PY" bench/bench_vs_d2l.py --device cuda:0 --input-size 224 \
  --batches "$BENCH_BATCHES" --warmup 10 --test-batches 5 $SKIP \
  --out "$BENCH_OUT" >>"$LOG" 2>&1
BENCH_RC=$?
set -e
cat "$BENCH_OUT" 2>/dev/null | tee -a "$RESULT" || true
echo "bench exit code: $BENCH_RC" | tee -a "$RESULT"
echo "saved $RESULT (full output: $LOG)"
