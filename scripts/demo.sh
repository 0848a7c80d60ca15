#!/usr/bin/env bash
# Sets up, builds and runs the main demo: a word-count pipeline across processes that find
# each other through an embedded directory, with `netchan ls` shown while it runs.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
echo
echo "== demo: word count across processes (a ventilator and a sink, 3 worker processes) =="
build/bin/wordcount --workers 3 --megabytes 128
