#!/usr/bin/env bash
# The GPU check: one script for a session that is lent a GPU (about 8 minutes).
#   0. preflight: driver, torch.cuda.is_available(), device name, the data set, d2l.torch;
#   1. the `reference` profile, the book's recipe exactly (ratio 4, lr 0.05, 10 epochs,
#      batch 128, input 224, Xavier, fp32 as d2l): the control run;
#   2. the same recipe with precision auto (what a student's GPU would choose);
#   3. bench_vs_d2l.py at input 224: d2l vs ours (auto and fp32).
# A run is judged against a band around the book's test accuracy 0.919 (one run's
# noise is about a point): PASS inside ACC_LOW..ACC_HIGH (default 0.905..0.935).
# Results: bench/results/gpu-<GPU>-<date>.txt and .log, copied to $OUT when it is set
# (a device machine returns only what lies under $OUT).
#
# Needs only this repository, a Python with torch (PY=...; default .venv/bin/python,
# else python3) and Fashion-MNIST where course_utils.data finds it: data/ holding the
# four .gz files is enough. Without d2l, step 3 times ours only.
#
#   bash bench/gpu_check.sh            # or: REF_TIMEOUT=300 BENCH_BATCHES=100 bash ...
set -uo pipefail
cd "$(dirname "$0")/.."

PY=${PY:-.venv/bin/python}
[ -x "$PY" ] || PY=python3
REF_TIMEOUT=${REF_TIMEOUT:-240}       # each training run
BENCH_TIMEOUT=${BENCH_TIMEOUT:-150}
BENCH_BATCHES=${BENCH_BATCHES:-100}   # enough for a steady state on a GPU, cheap for d2l
ACC_LOW=${ACC_LOW:-0.905}
ACC_HIGH=${ACC_HIGH:-0.935}
export PYTHONUNBUFFERED=1

STAMP=$(date +%Y-%m-%d)
mkdir -p bench/results
GPU="unknown-gpu"
RESULT="bench/results/gpu-check-${STAMP}.txt"
LOG="bench/results/gpu-check-${STAMP}.log"

save_out() {                          # a device machine returns only what lies under $OUT
  if [ -n "${OUT:-}" ]; then cp -f "$RESULT" "$LOG" ${BENCH_OUT:+"$BENCH_OUT"} "$OUT"/ 2>/dev/null; fi
  return 0
}
fail() {                              # say what failed, show the log's end, keep the files
  echo "FAILED: $1" | tee -a "$RESULT"
  echo "--- last 40 lines of $LOG ---"; tail -n 40 "$LOG"
  save_out; exit 1
}
: > "$LOG"; : > "$RESULT"

# 0. preflight
command -v nvidia-smi >/dev/null || fail "no nvidia-smi: no NVIDIA driver on this machine"
nvidia-smi >>"$LOG" 2>&1 || fail "nvidia-smi failed: the driver does not answer"
"$PY" - >>"$LOG" 2>&1 <<'PYEOF' || fail "torch cannot use CUDA here (see the log: torch build, driver)"
import torch, platform
print("torch", torch.__version__, "cuda", torch.version.cuda, "python", platform.python_version())
assert torch.cuda.is_available(), "torch.cuda.is_available() is False"
print("device", torch.cuda.get_device_name(0), "capability", torch.cuda.get_device_capability(0))
PYEOF
GPU=$("$PY" -c 'import torch; print(torch.cuda.get_device_name(0))' 2>>"$LOG")
SAFE=$(echo "$GPU" | tr -cs 'A-Za-z0-9' '-' | sed 's/-*$//')
mv "$RESULT" "bench/results/gpu-${SAFE}-${STAMP}.txt"; RESULT="bench/results/gpu-${SAFE}-${STAMP}.txt"
mv "$LOG" "bench/results/gpu-${SAFE}-${STAMP}.log"; LOG="bench/results/gpu-${SAFE}-${STAMP}.log"
BENCH_OUT="bench/results/gpu-${SAFE}-${STAMP}-bench.txt"
rm -f "$BENCH_OUT"
{
  echo "# GPU check $(date -u '+%Y-%m-%d %H:%M UTC')"
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
  "$PY" -c 'import torch, platform; print("torch", torch.__version__, "cuda", torch.version.cuda, "python", platform.python_version())'
  "$PY" -c 'from course_utils.machine import cpu_info; print("cpu:", cpu_info().describe())' || true
  echo "band: test acc in [$ACC_LOW, $ACC_HIGH] around the book's 0.919"
} | tee -a "$RESULT"
"$PY" -m course_utils.data --no-install --no-download >>"$LOG" 2>&1 \
  || fail "Fashion-MNIST not found or damaged: carry data/ (the four .gz files) or set FASHION_MNIST_DIR"

judge() {                             # $1: name; reads the summary line from the log
  local line acc
  line=$(grep -E '^loss [0-9.]+, train acc' "$LOG" | tail -n 1)
  acc=$(echo "$line" | sed -E 's/.*test acc ([0-9.]+).*/\1/')
  if [ -n "$acc" ] && awk -v a="$acc" -v lo="$ACC_LOW" -v hi="$ACC_HIGH" 'BEGIN{exit !(a>=lo && a<=hi)}'; then
    echo "$1: PASS (test acc $acc in [$ACC_LOW, $ACC_HIGH])" | tee -a "$RESULT"
  else
    echo "$1: OUTSIDE THE BAND (test acc ${acc:-none})" | tee -a "$RESULT"
  fi
}
train_run() {                         # $1: name, $2: precision
  echo "## $1 (reference profile, precision $2)" | tee -a "$RESULT"
  timeout "$REF_TIMEOUT" "$PY" -m course_utils.train --profile reference --device cuda:0 \
    --precision "$2" >>"$LOG" 2>&1
  local rc=$?
  { grep -E '^(cuda|profile |epoch |loss |[0-9.]+ examples/sec|precision )' "$LOG" || true; } \
    | tail -n 6 | tee -a "$RESULT"
  echo "exit code: $rc (124 = ran out of time)" | tee -a "$RESULT"
  [ $rc -eq 0 ] || { echo "--- last 40 lines of $LOG ---"; tail -n 40 "$LOG"; }
  judge "$1"
}
train_run "1. the book's recipe, fp32 (control)" fp32
train_run "2. the same recipe, precision auto" auto

echo "## 3. bench_vs_d2l at input 224, $BENCH_BATCHES batches" | tee -a "$RESULT"
SKIP=""
"$PY" -c 'from d2l import torch as d2l; d2l.train_ch6' >>"$LOG" 2>&1 \
  || { SKIP="--skip-d2l"; echo "d2l.torch does not import: ours only" | tee -a "$RESULT"; }
timeout "$BENCH_TIMEOUT" "$PY" bench/bench_vs_d2l.py --device cuda:0 --input-size 224 \
  --batches "$BENCH_BATCHES" --warmup 10 --test-batches 5 --precision auto fp32 $SKIP \
  --out "$BENCH_OUT" >>"$LOG" 2>&1
BENCH_RC=$?
cat "$BENCH_OUT" 2>/dev/null | tee -a "$RESULT"
echo "bench exit code: $BENCH_RC" | tee -a "$RESULT"
[ $BENCH_RC -eq 0 ] || { echo "--- last 40 lines of $LOG ---"; tail -n 40 "$LOG"; }
save_out
echo "saved $RESULT (full output: $LOG)"
