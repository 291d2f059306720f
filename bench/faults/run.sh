#!/usr/bin/env bash
# Fault scenarios against a production-like portal (gunicorn x4, a Celery worker):
#
#   1. PostgreSQL restarted during a load run: failed requests get the GOV.UK error page, and
#      the portal answers again by itself (CONN_HEALTH_CHECKS), with no confirmed write lost;
#   2. Redis stopped: pages and decisions keep working (publishing fails fast), the recomputes
#      stay owed; Redis back, the beat job's requeue sends them and the worker applies them;
#   3. a worker process killed while it runs a recompute: the message was not acknowledged
#      (acks_late, reject_on_worker_lost), so it is delivered again and applied once.
#
#   bash bench/faults/run.sh            (or: make bench-faults)
#
# The PostgreSQL and Redis it stops are private instances started here (their own data
# directory and ports, 5439 and 6399), never the machine's shared ones that colleagues and CI
# use. Everything started here is stopped on exit, by PID. Each scenario prints its outcome;
# exit status 1 if any of them failed.
set -euo pipefail
export PG_PORT="${PG_PORT:-5439}" REDIS_PORT="${REDIS_PORT:-6399}" REDIS_DB=0
export LOAD_DB=lsp_bench_faults WEB_PORT="${WEB_PORT:-8002}"
source "$(dirname "${BASH_SOURCE[0]}")/../load/servers.sh"
FAULTS="$ROOT/bench/faults"
PGBIN="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
PGROOT="$WORKDIR/pg"  # owned by the postgres user, who runs the private server
PGDATA="$PGROOT/data"
BASE="http://127.0.0.1:$WEB_PORT"
outcome=0

as_postgres() { runuser -u postgres -- "$@"; }
pg() { as_postgres "$PGBIN/pg_ctl" -D "$PGDATA" -l "$PGROOT/postgres.log" "$@"; }

private_postgres() {
  chmod 755 "$WORKDIR"
  mkdir -p "$PGROOT" && chown postgres "$PGROOT"
  as_postgres "$PGBIN/initdb" -D "$PGDATA" -A trust -U postgres > "$WORKDIR/initdb.log"
  pg -w -o "-p $PG_PORT -k $PGROOT -c listen_addresses=127.0.0.1" start > /dev/null
}

start_redis() {
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no \
    >> "$WORKDIR/redis.log" 2>&1 &
  REDIS_PID=$!
  STARTED_PIDS+=("$REDIS_PID")
  for _ in $(seq 1 40); do redis-cli -p "$REDIS_PORT" ping > /dev/null 2>&1 && return 0; sleep 0.25; done
  echo "private Redis did not start"; return 1
}

cleanup() {
  stop_all
  [ -d "$PGDATA" ] && pg -m fast stop > /dev/null 2>&1 || true
}
trap cleanup EXIT

check() { "$PY" "$FAULTS/check.py" "$@"; }
probe() { "$PY" "$FAULTS/probe.py" "$1" "$BASE" "$2" "$DEMO_PASSWORD" "${@:3}"; }
verdict() { if [ "$1" = 0 ]; then echo "  => $2: PASSED"; else echo "  => $2: FAILED"; outcome=1; fi; }

locust_venv
private_postgres
start_redis
fresh_database
"$PY" "$ROOT/bench/load/prepare.py" "$WORKDIR/plan.json"
start_web
start_worker faults
drain 600 > /dev/null

echo
echo "== 1. PostgreSQL restarted during a load run (20 users, 45 s)"
LOAD_PLAN="$WORKDIR/plan.json" LOAD_RESULTS="$WORKDIR/results.json" \
  "$LOCUST" -f "$ROOT/bench/load/locustfile.py" --headless --users 20 --spawn-rate 10 \
  --run-time 45s --stop-timeout 60 --host "$BASE" --csv "$WORKDIR/faults1" --only-summary \
  --loglevel WARNING > "$WORKDIR/locust1.log" 2>&1 &
LOCUST_PID=$!
STARTED_PIDS+=("$LOCUST_PID")
probe watch analyst@nru.example /nru/ 40 > "$WORKDIR/watch1.jsonl" &
WATCH_PID=$!
STARTED_PIDS+=("$WATCH_PID")
started=$(date +%s.%N)
sleep 15
fault_start=$(date +%s.%N)
pg -m fast -w restart > /dev/null
fault_end=$(date +%s.%N)
echo "  PostgreSQL restarted (fast shutdown, then start) at +$(awk -v a="$started" -v b="$fault_start" 'BEGIN { printf "%.0f", b - a }') s:" \
  "down for $(awk -v a="$fault_start" -v b="$fault_end" 'BEGIN { printf "%.2f", b - a }') s"
wait "$WATCH_PID" || true
wait "$LOCUST_PID" || true
scenario=0
"$PY" "$FAULTS/summarise.py" "$WORKDIR/watch1.jsonl" "$fault_start" "$fault_end" || scenario=1
"$PY" "$ROOT/bench/load/report.py" "$WORKDIR/faults1_stats.csv" "$WORKDIR/faults1_failures.csv" \
  | tail -n 4 | sed 's/^/  locust: /' || true
VERIFY_MODE=fault "$PY" "$ROOT/bench/load/verify.py" "$WORKDIR/plan.json" "$WORKDIR/results.json" 120 \
  || scenario=1
verdict "$scenario" "PostgreSQL restart"

echo
echo "== 2. Redis stopped: pages and decisions keep working; recomputes catch up when it returns"
scenario=0
read -r pk reviewer < <(check submit | "$PY" -c 'import json,sys; d=json.load(sys.stdin); print(d["assessment"], d["reviewer"])')
stop_pid "$REDIS_PID"
echo "  Redis stopped; assessment $pk submitted for $reviewer"
decision=$(probe decide "$reviewer" "$pk")
echo "  decision with Redis down: $decision"
echo "$decision" | grep -q '"ok": true' || scenario=1
page=$(probe get analyst@nru.example /nru/)
echo "  dashboard with Redis down: $page"
echo "$page" | grep -q '"status": 200' || scenario=1
state=$(check decided "$pk")
echo "  in the database: $state"
echo "$state" | grep -q '"status": "accredited"' || scenario=1
echo "$state" | grep -q '"owed": 0,' && scenario=1   # its recompute must still be owed
start_redis
echo "  Redis started again; owed before the requeue: $(check owed)"
for _ in $(seq 1 60); do grep -q "Connected to redis" <(tail -n 20 "$WORKDIR/worker-faults.log") && break; sleep 1; done
echo "  requeue (beat's job, run now): $(check requeue) sent"
drain 120 | sed 's/^-- /  /' || scenario=1
state=$(check decided "$pk")
echo "  in the database: $state"
echo "$state" | grep -q '"owed": 0,' || scenario=1
echo "  reconcile: $(check reconcile)"
check reconcile | grep -q '"drifting": 0' || scenario=1
verdict "$scenario" "Redis stopped"

echo
echo "== 3. A worker process killed in the middle of a recompute"
scenario=0
slug=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["officers"][-1]["partnership"])' "$WORKDIR/plan.json")
check lock "$slug" 25 > "$WORKDIR/lock.log" &
LOCK_PID=$!
STARTED_PIDS+=("$LOCK_PID")
for _ in $(seq 1 40); do grep -q locked "$WORKDIR/lock.log" && break; sleep 0.25; done
request=$(check request "$slug")
for _ in $(seq 1 60); do [ "$(check waiting)" -ge 1 ] && break; sleep 0.5; done
echo "  recompute $request for $slug is running, waiting on the partnership's lock: $(check attempts "$request")"
children=$(cat "/proc/$WORKER_PID/task/$WORKER_PID/children")
for child in $children; do kill -KILL "$child"; done
echo "  killed the worker's pool processes (SIGKILL): $children"
for _ in $(seq 1 60); do grep -q "WorkerLostError" "$WORKDIR/worker-faults.log" && break; sleep 0.5; done
grep -q "WorkerLostError" "$WORKDIR/worker-faults.log" && echo "  the worker reported: WorkerLostError (the message goes back to the queue)" || scenario=1
wait "$LOCK_PID" || true
for _ in $(seq 1 60); do check attempts "$request" | grep -q '"completed": true' && break; sleep 0.5; done
result=$(check attempts "$request")
echo "  after the lock was released: $result"
echo "$result" | grep -q '"completed": true' || scenario=1
echo "$result" | grep -q '"attempts": 1,' && scenario=1   # it must have run a second time
echo "  reconcile: $(check reconcile)"
check reconcile | grep -q '"drifting": 0' || scenario=1
verdict "$scenario" "worker killed"

echo
[ "$outcome" = 0 ] && echo "All fault scenarios passed" || echo "Some fault scenarios FAILED (logs in $WORKDIR)"
exit "$outcome"
