#!/usr/bin/env bash
# Sets up, builds and runs the main demo.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
echo
echo "== demo: the concurrent prime sieve, one actor per prime, connected by channels =="
build/bin/sieve 100 | paste -sd' '
