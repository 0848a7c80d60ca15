#!/usr/bin/env bash
# Sets up and runs every test: the layer check of includes, the -Werror build, the ASan+UBSan
# and TSan builds, and the clang-format gate. This is what CI runs (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== layers =="
scripts/check_layers.sh

scripts/setup.sh dev asan tsan

echo "== format =="
git ls-files -z -- '*.hpp' '*.cpp' | xargs -0 clang-format --dry-run --Werror

for preset in dev asan tsan; do
    echo "== tests: $preset =="
    ctest --preset "$preset" -j2 --timeout 300
done
