#!/usr/bin/env bash
# Serve Mendian: the task worker and the daily scheduler in the background, gunicorn in front.
# Everything stops together on Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-8000}
WORKERS=${WORKERS:-3}
mkdir -p var/log
$BIN/python manage.py db_worker >>var/log/worker.log 2>&1 &
worker=$!
$BIN/python manage.py scheduler >>var/log/scheduler.log 2>&1 &
scheduler=$!
trap 'kill $worker $scheduler 2>/dev/null; wait $worker $scheduler 2>/dev/null' EXIT INT TERM
$BIN/gunicorn mendian.config.wsgi --bind "$HOST:$PORT" --workers "$WORKERS" --access-logfile - --log-level warning
