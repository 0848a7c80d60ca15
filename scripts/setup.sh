#!/usr/bin/env bash
# Installs the Debian packages netchan needs (only those missing) and builds it into build/.
# Usage: scripts/setup.sh [preset...]   (default preset: dev; others: asan, tsan)
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(cmake g++ make pkg-config clang-format
          libzmq3-dev cppzmq-dev libmsgpack-cxx-dev libboost-dev catch2
          nlohmann-json3-dev libcli11-dev)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
    echo "setup: installing ${missing[*]}"
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

presets=("$@")
((${#presets[@]})) || presets=(dev)
for preset in "${presets[@]}"; do
    echo "setup: building preset '$preset'"
    cmake --preset "$preset" >/dev/null
    cmake --build --preset "$preset"
done
