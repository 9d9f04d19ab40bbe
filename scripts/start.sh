#!/usr/bin/env bash
# `make start`: gunicorn and the settlement worker in the foreground; Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-8000}
export HOST PORT

base="http://${HOST}:${PORT}"
cat <<MSG
Auctioneer on ${base}
  Management API   ${base}/api/v1/          (docs: ${base}/api/v1/docs)
  Authorization    ${base}/api/auth/
  OAuth2 provider  ${base}/o/
  Admin            ${base}/admin/           (make create-super-user)
Ctrl-C stops the server and the workers.
MSG

pids=()
stop() {
  trap - INT TERM EXIT
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait || true
}
trap stop INT TERM EXIT

.venv/bin/gunicorn -c auctioneer/gunicorn_conf.py &
pids+=($!)
.venv/bin/python manage.py run_workers &
pids+=($!)

# Stop everything as soon as either process exits.
wait -n "${pids[@]}"
