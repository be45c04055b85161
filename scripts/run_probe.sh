#!/usr/bin/env bash
# A self-contained insider probe run (issue 13): its own Neo4j (Bolt 17715) with a fresh sandbox seed, the app
# on 127.0.0.1:8015, `scripts/insider_probe.py` against it, then both stopped again, whatever happened.
#
#   scripts/run_probe.sh [insider_probe.py options, e.g. --max-requests 4000 --seed 13 --json-out probe.json]
#
# The exit code is the probe's: 0 no leak, 1 leaks found, 2 the probe could not run (3: the app never answered).
# Override the ports with PROBE_BOLT_PORT / PROBE_HTTP_PORT. The seed wipes that instance's data only
# (`.neo4j/instance-<port>/`), never `make run`'s or the tests'.
set -euo pipefail

cd "$(dirname "$0")/.."
BIN=.venv/bin
export CCMS_NEO4J_BOLT_PORT="${PROBE_BOLT_PORT:-17715}"
export CCMS_NEO4J_HEAP="${CCMS_NEO4J_HEAP:-1g}" CCMS_NEO4J_PAGECACHE="${CCMS_NEO4J_PAGECACHE:-512m}"
HTTP_PORT="${PROBE_HTTP_PORT:-8015}"
BASE="http://127.0.0.1:${HTTP_PORT}"
LOG="${PROBE_LOG:-var/probe-gunicorn.log}"
mkdir -p "$(dirname "$LOG")"
APP_PID=""

stop_all() {
    if [[ -n "$APP_PID" ]] && kill -0 "$APP_PID" 2>/dev/null; then
        kill "$APP_PID" 2>/dev/null || true
        wait "$APP_PID" 2>/dev/null || true
    fi
    "$BIN/ccms-graph" neo4j stop >/dev/null 2>&1 || true
}
trap stop_all EXIT INT TERM

"$BIN/ccms-graph" neo4j start
"$BIN/ccms-graph" init-db
"$BIN/ccms-graph" seed --yes-wipe >/dev/null

"$BIN/gunicorn" --bind "127.0.0.1:${HTTP_PORT}" --workers 1 --threads 8 --limit-request-line 8190 --keep-alive 75 \
    'ccms_graph.web.wsgi:app' >"$LOG" 2>&1 &
APP_PID=$!

for _ in $(seq 1 60); do
    if "$BIN/python" - "$BASE" <<'EOF' 2>/dev/null; then break; fi
import sys, urllib.request
urllib.request.build_opener(urllib.request.ProxyHandler({})).open(sys.argv[1] + "/api/v1/auth/banner", timeout=2)
EOF
    if ! kill -0 "$APP_PID" 2>/dev/null; then
        echo "the app did not start; see $LOG" >&2
        exit 3
    fi
    sleep 1
done

set +e
"$BIN/python" scripts/insider_probe.py "$BASE" "$@"
status=$?
set -e
exit "$status"
