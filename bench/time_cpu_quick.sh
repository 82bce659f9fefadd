#!/usr/bin/env bash
# The CPU profile's promise, measured: `cpu-quick` must reach >= 0.88 test accuracy on
# the full 10,000-image test set within 300 s wall on 2 cores, in fp32 (what every
# laptop has), and the course's default (`auto`) must not be slower.
# Appends to bench/results/cpu-quick-<date>.txt: machine, load before/after, the
# trainer's own output (set-up line, epochs, d2l's summary, wall time).
#
#   bash bench/time_cpu_quick.sh              # fp32, then auto
#   PRECISIONS="fp32" bash bench/time_cpu_quick.sh
set -uo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
PRECISIONS=${PRECISIONS:-"fp32 auto"}
OUT_FILE="bench/results/cpu-quick-$(date +%Y-%m-%d).txt"
mkdir -p bench/results
{
  echo "# cpu-quick $(date '+%Y-%m-%d %H:%M'), $("$PY" -c 'from course_utils.machine import cpu_info; print(cpu_info().describe())')"
  "$PY" -c 'import torch; print("torch", torch.__version__, "threads", torch.get_num_threads())'
  for p in $PRECISIONS; do
    echo "## --precision $p; before: $(cut -d' ' -f1-3 /proc/loadavg) (load average 1/5/15 min)"
    COURSE_LANG=en "$PY" -m course_utils.train --profile cpu-quick --precision "$p" 2>&1 \
      | grep -v '^  epoch'                        # keep the epoch lines, drop the 30-s ticks
    echo "after: $(cut -d' ' -f1-3 /proc/loadavg)"
  done
} | tee -a "$OUT_FILE"
echo "saved $OUT_FILE"
