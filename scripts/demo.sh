#!/usr/bin/env bash
# Sets up, builds and runs the main demo: a word-count pipeline across several processes.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
echo
echo "== demo: word count across processes (a ventilator, 3 workers and a sink, over netchan) =="
build/bin/wordcount --workers 3 --megabytes 32
