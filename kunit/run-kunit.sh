#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run "kunit.py run" (configure, build, boot, parse) under the kernel build
# lock and turn its KTAP into flat TAP lines for the project summary:
#   run-kunit.sh <ksrc> <build-dir> <stage> <log> <tap> [kunit.py run args]
# The same runner serves UML (make kunit) and QEMU x86_64 (make kunit-qemu).
# <log> gets kunit.py's output followed by the whole kernel console
# (kunit.py keeps only the KTAP lines), and a splat anywhere in the console
# is a failing TAP line even when every case passed, as is a run that
# printed no results.
set -u
ksrc=$1 build=$2 stage=$3 log=$4 tap=$5
shift 5
top=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$build" "$(dirname "$log")" "$(dirname "$tap")"
export CCACHE_DIR=${CCACHE_DIR:-$top/build/ccache}
# As in the Makefile: lets kunit-qemu's build reuse the guest's objects.
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$top/build}

# shellcheck source=../tools/kbuild/splat-re.sh
. "$top/tools/kbuild/splat-re.sh"

rm -f "$build/test.log"
cd "$ksrc" || exit 1
flock "$top/build/.kbuild.lock" \
	python3 tools/testing/kunit/kunit.py run --build_dir="$build" \
	--jobs="$(nproc)" --make_options "CC=ccache gcc" --raw_output=kunit \
	"$@" > "$log" 2>&1
rc=$?
"$top/tools/kbuild/ktap2tap.sh" "$stage" "$log" > "$tap"
if [ ! -s "$tap" ]; then
	echo "not ok - $stage: no results (kunit.py exit $rc, see $log)" > "$tap"
	tail -20 "$log"
fi
if [ -f "$build/test.log" ]; then
	{ echo "---- kernel console ----"; cat "$build/test.log"; } >> "$log"
	splat=$(grep -aE "$SPLAT_RE" "$build/test.log" | head -1)
	if [ -n "$splat" ]; then
		echo "not ok - $stage: kernel splat in the console: $splat" >> "$tap"
	fi
fi
cat "$tap"
