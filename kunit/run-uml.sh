#!/bin/bash
# Build the UML kernel with the project's .kunitconfig (one kernel build at
# a time on this machine, hence the lock) and run the suites matching a
# glob; the KTAP output becomes flat TAP lines for the project summary.
#   run-uml.sh <ksrc> <build-dir> <kunitconfig> <tap-file> <glob> [kernel args]
set -u
ksrc=$1 build=$2 kconf=$3 tap=$4 glob=$5
shift 5
top=$(cd "$(dirname "$0")/.." && pwd)
log=$build.log
mkdir -p "$build" "$(dirname "$tap")"
export CCACHE_DIR=${CCACHE_DIR:-$top/build/ccache}

args=()
for a in "$@"; do args+=(--kernel_args "$a"); done
cd "$ksrc" || exit 1
flock "$top/build/.kbuild.lock" \
	python3 tools/testing/kunit/kunit.py run --kunitconfig="$kconf" \
	--build_dir="$build" --jobs="$(nproc)" --make_options "CC=ccache gcc" \
	--timeout=1200 --raw_output=kunit "${args[@]}" "$glob" > "$log" 2>&1
rc=$?
"$top/tools/kbuild/ktap2tap.sh" kunit "$log" > "$tap"
if [ ! -s "$tap" ]; then
	echo "not ok - kunit: no results (exit $rc, see $log)" > "$tap"
	tail -20 "$log"
fi
# A splat fails the run even if every case passed.
splat=$(grep -E 'BUG:|WARNING:|Oops|KASAN|possible circular|inconsistent lock|scheduling while atomic|rcu.*stall' "$log" | head -3)
if [ -n "$splat" ]; then
	echo "not ok - kunit: kernel splat in the log: $(echo "$splat" | head -1)" >> "$tap"
fi
cat "$tap"
