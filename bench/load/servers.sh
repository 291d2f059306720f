# Shared by bench/load/run.sh and bench/faults/run.sh (source it): a production-like portal on
# this machine -- its own PostgreSQL database, gunicorn (deploy/gunicorn.conf.py) on 127.0.0.1:8001, a real
# Celery worker on Redis database 9 -- and nothing of it left running afterwards.
#
# Every process started here is recorded by PID and stopped by that PID (never by name), so a
# colleague's servers on the same machine are never touched.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PY="$ROOT/.venv/bin/python"
# A command prefix for gunicorn and the Celery worker (run.sh sets it to `taskset -c 1` under
# LOAD_PIN=1); empty runs them unpinned.
SERVICE_PIN=("${SERVICE_PIN[@]}")
LOAD_DB="${LOAD_DB:-lsp_bench_load}"
PG_HOST="${PG_HOST:-127.0.0.1}"
PG_PORT="${PG_PORT:-5432}"
REDIS_PORT="${REDIS_PORT:-6379}"
REDIS_DB="${REDIS_DB:-9}"
WEB_PORT="${WEB_PORT:-8001}"
WORKDIR="${WORKDIR:-$(mktemp -d /tmp/lsp-bench.XXXXXX)}"
STARTED_PIDS=()

export DJANGO_SETTINGS_MODULE=lsp_portal.settings
export DATABASE_URL="postgres://postgres@$PG_HOST:$PG_PORT/$LOAD_DB"
export CELERY_BROKER_URL="redis://127.0.0.1:$REDIS_PORT/$REDIS_DB"
export CELERY_TASK_ALWAYS_EAGER=0
export DEBUG=0
export SECRET_KEY="bench-only-$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
export ALLOWED_HOSTS="127.0.0.1,localhost"
# Plain HTTP on the loopback: cookies cannot be Secure-only here.
export SESSION_COOKIE_SECURE=0 CSRF_COOKIE_SECURE=0
# Pages are rendered, static files are not fetched: no collectstatic needed.
export STATICFILES_STORAGE=django.contrib.staticfiles.storage.StaticFilesStorage
export EMAIL_BACKEND=django.core.mail.backends.dummy.EmailBackend
export EVIDENCE_ROOT="$WORKDIR/evidence"
export CONN_MAX_AGE="${CONN_MAX_AGE:-60}"
export LOG_LEVEL=WARNING
export DEMO_PASSWORD="${DEMO_PASSWORD:-renewal-2002-demo}"

psql_admin() { psql -h "$PG_HOST" -p "$PG_PORT" -U postgres -d postgres -qAt -v ON_ERROR_STOP=1 -c "$1"; }

fresh_database() {
  echo "-- fresh database $LOAD_DB, reference data and the demo"
  psql_admin "DROP DATABASE IF EXISTS $LOAD_DB WITH (FORCE)"
  psql_admin "CREATE DATABASE $LOAD_DB"
  redis-cli -p "$REDIS_PORT" -n "$REDIS_DB" flushdb > /dev/null
  "$PY" "$ROOT/manage.py" migrate --noinput -v 0
  "$PY" "$ROOT/manage.py" load_reference_data > "$WORKDIR/reference.log"
  "$PY" "$ROOT/manage.py" load_demo --force > "$WORKDIR/demo.log"
}

# Wait (up to $1 seconds) until the worker has applied every owed recompute.
drain() {
  "$PY" "$ROOT/bench/load/verify.py" --drain "${1:-300}"
}

start_web() {
  # The deployed worker model (deploy/gunicorn.conf.py: 5 sync workers unless GUNICORN_WORKERS,
  # GUNICORN_WORKER_CLASS or GUNICORN_THREADS say otherwise, docs/adr/0019-gunicorn-worker-model.md).
  "${SERVICE_PIN[@]}" "$ROOT/.venv/bin/gunicorn" lsp_portal.wsgi --chdir "$ROOT" \
    -c "$ROOT/deploy/gunicorn.conf.py" --bind "127.0.0.1:$WEB_PORT" --timeout 60 --graceful-timeout 5 \
    --error-logfile "$WORKDIR/gunicorn.log" --capture-output &
  WEB_PID=$!
  STARTED_PIDS+=("$WEB_PID")
  for _ in $(seq 1 60); do
    if curl -fsS -o /dev/null "http://127.0.0.1:$WEB_PORT/sign-in/" 2>/dev/null; then return 0; fi
    sleep 0.5
  done
  echo "gunicorn did not answer on port $WEB_PORT (see $WORKDIR/gunicorn.log)"; return 1
}

start_worker() {
  local name="${1:-load}"
  # Background work (recomputes, emails, warm-ups) yields the CPU to web requests, as the
  # compose file's cpu_shares make it do in production (docs/adr/0019-gunicorn-worker-model.md);
  # WORKER_NICE=0 runs it at the web's priority.
  (cd "$ROOT" && exec "${SERVICE_PIN[@]}" nice -n "${WORKER_NICE:-10}" "$ROOT/.venv/bin/celery" -A lsp_portal worker --loglevel=INFO \
    --concurrency=2 --prefetch-multiplier=1 -n "$name@%h" --without-gossip --without-mingle \
    >> "$WORKDIR/worker-$name.log" 2>&1) &
  WORKER_PID=$!
  STARTED_PIDS+=("$WORKER_PID")
  for _ in $(seq 1 60); do
    if grep -q "ready" "$WORKDIR/worker-$name.log" 2>/dev/null; then return 0; fi
    sleep 0.5
  done
  echo "the Celery worker did not start (see $WORKDIR/worker-$name.log)"; return 1
}

stop_pid() {
  local pid="$1"
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 20); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.5; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
}

stop_all() {
  for pid in "${STARTED_PIDS[@]}"; do stop_pid "$pid"; done
  STARTED_PIDS=()
}

# CPU-seconds used by every process on the machine since boot (user, nice, system, irq).
machine_cpu_seconds() {
  awk -v hz="$(getconf CLK_TCK)" '/^cpu / { printf "%.1f", ($2 + $3 + $4 + $7 + $8) / hz }' /proc/stat
}

# A process we started and its children (gunicorn's workers, Celery's pool), by PID.
process_and_children() {
  echo "$1 $(cat /proc/"$1"/task/"$1"/children 2>/dev/null)"
}

ticks_as_seconds() {
  awk -v t="$1" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.1f", t / hz }'
}

# The sum, over a process we started and its children, of the number an awk program ($3) reads
# from each one's /proc/<pid>/$2.
sum_over_children() {
  local total=0
  for p in $(process_and_children "$1"); do
    [ -r "/proc/$p/$2" ] || continue
    total=$((total + $(awk "$3" "/proc/$p/$2")))
  done
  echo "$total"
}

# CPU-seconds used so far by a process we started and its children, from /proc.
cpu_seconds() {
  ticks_as_seconds "$(sum_over_children "$1" stat '{ print $14 + $15 + $16 + $17 }')"
}

# CPU-seconds used so far by PostgreSQL's processes (the server's, shared with anyone else
# using it: read only, from /proc).
postgres_cpu_seconds() {
  local ticks=0
  for stat in /proc/[0-9]*/stat; do
    read -r line < "$stat" 2>/dev/null || continue
    case "$line" in *"(postgres)"*) ;; *) continue ;; esac
    # shellcheck disable=SC2086  # the fields after the command name: utime is the 12th
    set -- ${line##*) }
    ticks=$((ticks + ${12} + ${13}))
  done
  ticks_as_seconds "$ticks"
}

# Resident memory (MiB) of a process we started and its children, from /proc.
resident_mib() {
  awk -v k="$(sum_over_children "$1" status '/^VmRSS:/ { print $2 }')" \
    'BEGIN { printf "%.0f", k / 1024 }'
}

locust_venv() {
  local venv="$ROOT/bench/.venv-load"
  if [ ! -x "$venv/bin/locust" ]; then
    echo "-- creating $venv with locust (kept out of the portal's own dependencies)"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --upgrade pip
    "$venv/bin/pip" install --quiet "locust>=2.40,<3"
  fi
  LOCUST="$venv/bin/locust"
}
