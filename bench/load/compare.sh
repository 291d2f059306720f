#!/usr/bin/env bash
# The worker-model comparison of docs/adr/0019-gunicorn-worker-model.md: the load run
# (bench/load/run.sh) once per configuration, one after the other, each with its own fresh
# database, then one line per run. Needs a quiet machine (it prints the load average of each).
#
#   bash bench/load/compare.sh                    # paced runs of every configuration
#   MODES="paced pinned stress" bash bench/load/compare.sh
#   CONFIGS="sync:4:1 gthread:2:4" bash bench/load/compare.sh
#
# A configuration is class:workers:threads. Modes: paced (the default run), pinned (LOAD_PIN=1:
# locust on CPU 0, the service on CPU 1), stress (LOAD_PACE=task). Each run's full output is
# kept in $OUT (printed at the end).
set -uo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CONFIGS="${CONFIGS:-sync:4:1 sync:3:1 sync:5:1 gthread:2:4 gthread:3:2}"
MODES="${MODES:-paced}"
OUT="${OUT:-$(mktemp -d /tmp/lsp-compare.XXXXXX)}"
mkdir -p "$OUT"
summary=()
for mode in $MODES; do
  for config in $CONFIGS; do
    IFS=: read -r class workers threads <<< "$config"
    log="$OUT/$mode-$class-$workers-$threads.log"
    echo "== $mode, $class x $workers workers x $threads threads ($(date -u +%H:%M) UTC, load $(cut -d' ' -f1 /proc/loadavg))"
    pin=0; pace=page
    [ "$mode" = "pinned" ] && pin=1
    [ "$mode" = "stress" ] && pace=task
    GUNICORN_WORKER_CLASS="$class" GUNICORN_WORKERS="$workers" GUNICORN_THREADS="$threads" \
      LOAD_PIN="$pin" LOAD_PACE="$pace" bash "$HERE/run.sh" > "$log" 2>&1
    status=$?
    totals=$(grep -E "^requests [0-9]+, failures" "$log" | tail -1)
    lost=$(grep -E "lost writes:" "$log" | tail -1 | sed 's/^ *//')
    cpu=$(grep -E "^-- CPU used during the run" "$log" | sed 's/^-- CPU used during the run: //')
    memory=$(grep -E "resident memory" "$log" | sed 's/^.*workers): //')
    before=$(grep -E "load average before the run" "$log" | sed 's/^.*before the run: //')
    summary+=("$mode $class x$workers x$threads (exit $status; load before $before): $totals; $lost; CPU: $cpu; memory: $memory")
    grep -E "^(page|[a-zA-Z].*(GET|POST) )" "$log" | head -40
  done
done
echo
echo "== summary (logs in $OUT)"
printf '%s\n' "${summary[@]}"
