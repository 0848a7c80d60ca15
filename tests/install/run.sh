#!/usr/bin/env bash
# Installs a netchan build to a temporary prefix, then configures, builds and runs the consumer
# project next to this script against it, as a user of find_package(netchan CONFIG) would.
#   run.sh BUILD_DIR CXX_COMPILER
set -euo pipefail
build_dir=$1
cxx=$2
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/netchan-install.XXXXXX")
trap 'rm -rf "$work"' EXIT

cmake --install "$build_dir" --prefix "$work/prefix" >/dev/null
for forbidden in netchan/internal netchan/wire.hpp; do
    if [[ -e "$work/prefix/include/$forbidden" ]]; then
        echo "install: $forbidden must not be installed" >&2
        exit 1
    fi
done
cmake -S "$here/consumer" -B "$work/build" -DCMAKE_PREFIX_PATH="$work/prefix" \
    -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$work/build" -j2 >/dev/null
output=$("$work/build/consumer")
echo "$output"
[[ "$output" == "consumer: ok" ]]
