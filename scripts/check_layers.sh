#!/usr/bin/env bash
# Fails when an #include goes up a layer or reaches into another layer's private code
# (docs/architecture.md): core <- serialization <- transports <- framework; tools and examples
# use installed public headers only. Prints FILE:LINE and the rule for every violation.
set -euo pipefail
cd "$(dirname "$0")/.."

core=(framework/core/include)
serialization=("${core[@]}" serialization/include)
transports=("${serialization[@]}" transports/include transports/internal)

failures=0
fail() { # file line message
    echo "check_layers: $1:$2: $3" >&2
    failures=$((failures + 1))
}

# Prints "LINE<TAB>HEADER" for each #include of FILE.
includes_of() {
    grep -nE '^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"]' "$1" |
        sed -E 's/^([0-9]+):[^<"]*[<"]([^>"]+)[>"].*/\1\t\2/'
}

# True when HEADER is a file under one of the include dirs given after it.
found_in() {
    local header=$1 dir
    shift
    for dir in "$@"; do
        [[ -f "$dir/$header" ]] && return 0
    done
    return 1
}

# check_layer NAME "DENIED_REGEX" DIR... : files of the layer (tracked C++ files under its
# folders) include netchan/ headers only from the given include dirs, and no header whose path
# matches DENIED_REGEX (third-party libraries the layer must not know).
check_layer() {
    local name=$1 denied=$2 files=$3
    shift 3
    local file line header
    while IFS= read -r file; do
        while IFS=$'\t' read -r line header; do
            [[ -z "$line" ]] && continue
            if [[ "$header" == netchan/* ]]; then
                found_in "$header" "$@" ||
                    fail "$file" "$line" "includes $header, which is not in $name or a layer below it"
            elif [[ -n "$denied" && "$header" =~ $denied ]]; then
                fail "$file" "$line" "includes $header: $name must not depend on it"
            fi
        done < <(includes_of "$file")
    done < <(git ls-files -- $files | grep -E '\.(hpp|cpp)$' || true)
}

check_layer core '^(zmq|msgpack|nlohmann|CLI|boost)' 'framework/core' "${core[@]}"
check_layer serialization '^(zmq|nlohmann|CLI)' 'serialization' "${serialization[@]}"
check_layer transports '^(nlohmann|CLI)' 'transports' "${transports[@]}"

# Installed headers never include the build-only internal/ headers, and the framework's and the
# core's never expose ZeroMQ.
while IFS= read -r file; do
    while IFS=$'\t' read -r line header; do
        [[ -z "$line" ]] && continue
        if [[ "$header" == netchan/internal/* || "$header" == internal/* ]]; then
            fail "$file" "$line" "installed header includes $header, which is never installed"
        elif [[ "$file" == framework/* && "$header" =~ ^zmq ]]; then
            fail "$file" "$line" "framework public header includes $header: zmq:: stays in transports"
        fi
    done < <(includes_of "$file")
done < <(git ls-files -- '*/include/*.hpp' | grep -v '^tools/' || true)

# Tools and examples: public headers only; no detail/ or internal/ headers of ours, no include
# path into a layer's src/ or internal/.
while IFS= read -r file; do
    while IFS=$'\t' read -r line header; do
        [[ -z "$line" ]] && continue
        if [[ "$header" == netchan/detail/* || "$header" == netchan/internal/* ||
              "$header" == internal/* ]]; then
            fail "$file" "$line" "includes $header: tools and examples use public headers only"
        fi
    done < <(includes_of "$file")
done < <(git ls-files -- 'tools/*' 'examples/*' | grep -E '\.(hpp|cpp)$' || true)
while IFS=: read -r file line _; do
    fail "$file" "$line" "adds an include path into a src/ or internal/ folder: use public headers"
done < <(git ls-files -z -- 'tools/*CMakeLists.txt' 'examples/*CMakeLists.txt' |
    xargs -0 grep -nE 'include_directories.*(/src|/internal)\b' || true)

if ((failures > 0)); then
    echo "check_layers: $failures include(s) go against the layers" >&2
    exit 1
fi
echo "check_layers: ok"
