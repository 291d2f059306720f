#!/usr/bin/env bash
# The load test: 50 simulated users for 60 s against gunicorn (deploy/gunicorn.conf.py), PostgreSQL and a
# real Celery worker on Redis; then every confirmed write is looked for in the database.
#
#   bash bench/load/run.sh            (or: make bench-load)
#   USERS=50 DURATION=60s bash bench/load/run.sh
#   LOAD_PACE=task bash bench/load/run.sh   (no pause between a task's pages: a stress run)
#   LOAD_PIN=1 bash bench/load/run.sh       (the generator on CPU 0, gunicorn and the Celery
#                                            worker on CPU 1, with taskset: the second figure)
#   GUNICORN_WORKER_CLASS=gthread GUNICORN_WORKERS=2 GUNICORN_THREADS=4 bash bench/load/run.sh
#                                           (another worker model: docs/adr/0019-gunicorn-worker-model.md)
#
# gunicorn runs with BENCH_CPU_HEADER=1, so every response carries its CPU time
# (core.middleware.CpuTimingMiddleware) and the report gives CPU ms per request beside latency.
# Prints requests, failures, median and p95 per page (and CPU ms per request), then
# verify.py's checks. Exit status 1 if a request failed, a write was lost or a recompute was left
# owed; a p95 of 200 ms or more is printed as a missed target.
set -euo pipefail
SERVICE_PIN=()
GENERATOR_PIN=()
if [ "${LOAD_PIN:-0}" = "1" ]; then
  if [ "$(nproc)" -lt 2 ]; then echo "LOAD_PIN=1 needs 2 CPUs"; exit 2; fi
  SERVICE_PIN=(taskset -c 1)
  GENERATOR_PIN=(taskset -c 0)
fi
source "$(dirname "${BASH_SOURCE[0]}")/servers.sh"
export BENCH_CPU_HEADER=1
USERS="${USERS:-50}"
DURATION="${DURATION:-60s}"
trap stop_all EXIT

locust_venv
fresh_database
"$PY" "$ROOT/bench/load/prepare.py" "$WORKDIR/plan.json"
start_web
start_worker load
drain 600

echo "-- machine: $(nproc) CPUs, load average before the run: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "-- gunicorn: ${GUNICORN_WORKERS:-5} ${GUNICORN_WORKER_CLASS:-sync} workers" \
  "x ${GUNICORN_THREADS:-1} thread(s) (deploy/gunicorn.conf.py)"
if [ "${LOAD_PIN:-0}" = "1" ]; then
  echo "-- pinned (LOAD_PIN=1): locust on CPU 0; gunicorn and the Celery worker on CPU 1" \
    "(PostgreSQL and Redis are not pinned)"
fi
export LOAD_PACE="${LOAD_PACE:-page}"
echo "-- $USERS users for $DURATION on http://127.0.0.1:$WEB_PORT, pausing between each $LOAD_PACE (results in $WORKDIR)"
web_cpu=$(cpu_seconds "$WEB_PID")
worker_cpu=$(cpu_seconds "$WORKER_PID")
machine_cpu=$(machine_cpu_seconds)
postgres_cpu=$(postgres_cpu_seconds)
status=0
LOAD_PLAN="$WORKDIR/plan.json" LOAD_RESULTS="$WORKDIR/results.json" LOAD_CPU="$WORKDIR/cpu.json" \
  "${GENERATOR_PIN[@]}" /usr/bin/time -f "%U %S" -o "$WORKDIR/locust.cpu" "$LOCUST" -f "$ROOT/bench/load/locustfile.py" --headless --users "$USERS" --spawn-rate 10 \
  --run-time "$DURATION" --stop-timeout 120 --host "http://127.0.0.1:$WEB_PORT" \
  --csv "$WORKDIR/locust" --only-summary --loglevel WARNING > "$WORKDIR/locust.log" 2>&1 || status=$?
echo "-- load average after the run: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "-- CPU used during the run: gunicorn $(awk -v a="$web_cpu" -v b="$(cpu_seconds "$WEB_PID")" \
  'BEGIN { printf "%.1f", b - a }') s, Celery worker $(awk -v a="$worker_cpu" \
  -v b="$(cpu_seconds "$WORKER_PID")" 'BEGIN { printf "%.1f", b - a }') s, locust (the load \
generator, on the same CPUs) $(awk '{ printf "%.1f", $1 + $2 }' "$WORKDIR/locust.cpu") s, \
PostgreSQL $(awk -v a="$postgres_cpu" -v b="$(postgres_cpu_seconds)" 'BEGIN { printf "%.1f", b - a }') s \
(its processes that ended during the run not counted); all processes $(awk -v a="$machine_cpu" -v b="$(machine_cpu_seconds)" 'BEGIN { printf "%.1f", b - a }') s"

echo "-- gunicorn's resident memory after the run (master and workers): $(resident_mib "$WEB_PID") MiB;" \
  "PostgreSQL connections to $LOAD_DB: $(psql_admin "SELECT count(*) FROM pg_stat_activity WHERE datname = '$LOAD_DB'")"

"$PY" "$ROOT/bench/load/report.py" "$WORKDIR/locust_stats.csv" "$WORKDIR/locust_failures.csv" \
  "$WORKDIR/cpu.json" \
  || status=1
echo "-- after the run"
"$PY" "$ROOT/bench/load/verify.py" "$WORKDIR/plan.json" "$WORKDIR/results.json" || status=1
exit "$status"
