#!/bin/bash
# Style and static checks on the project's kernel code: checkpatch --strict,
# kernel-doc, sparse (C=2, every file rebuilt under the checker), and the
# patch series, its documentation built with the kernel's Sphinx setup
# (tools/kbuild/series-check.sh).  The project has no accepted findings, so
# any finding fails.
#   check.sh <ksrc> <build-root>
set -u
ksrc=$1 b=$2
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
fail=0

files=$(git ls-files 'lib-gpt/*.[ch]' 'include/linux/*.h' 'kunit/*.c' \
	'qemu-tests/ab/*.[ch]' 'qemu-tests/edu/*.[ch]' 'drivers-iommu/*/*.[ch]')
# The guest's test programs are userspace C, as kselftests are: uint64_t
# and friends are their types; their messages stay whole, as the
# kernel's do, however long.
progs=$(git ls-files 'qemu-tests/hmm/*.c')
# shellcheck disable=SC2086
out=$( (perl "$ksrc/scripts/checkpatch.pl" --no-tree --strict --terse \
	--ignore FILE_PATH_CHANGES,SPDX_LICENSE_TAG -f $files;
	perl "$ksrc/scripts/checkpatch.pl" --no-tree --strict --terse \
	--ignore FILE_PATH_CHANGES,SPDX_LICENSE_TAG,PREFER_KERNEL_TYPES,LONG_LINE_STRING \
	-f $progs) 2>&1 |
	grep -E ': (ERROR|WARNING|CHECK):')
files="$files $progs"
if [ -n "$out" ]; then
	echo "$out"
	echo "check: checkpatch --strict reports $(echo "$out" | wc -l) finding(s)"
	fail=1
else
	echo "check: checkpatch --strict clean ($(echo $files | wc -w) files)"
fi

# kernel-doc: every comment that claims to be kernel-doc must be complete.
docfiles=$(git ls-files 'lib-gpt/*.[ch]' 'include/linux/*.h' 'drivers-iommu/*/*.c' \
	'drivers-iommu/*/*.h' 'kunit/*.[ch]' 'qemu-tests/*/*.[ch]')
# shellcheck disable=SC2086
out=$(perl "$ksrc/scripts/kernel-doc" -none -Wall $docfiles 2>&1)
if [ -n "$out" ]; then
	echo "$out"
	echo "check: kernel-doc -Wall reports $(echo "$out" | wc -l) finding(s)"
	fail=1
else
	echo "check: kernel-doc -none -Wall clean ($(echo $docfiles | wc -w) files)"
fi

# sparse over lib-gpt (and its KUnit suites) in the x86_64 guest kernel.
if [ -f "$b/x86_64/.config" ]; then
	out=$(flock "$b/.kbuild.lock" make -s -C "$ksrc" O="$b/x86_64" \
		CC="ccache gcc" C=2 lib/gpt/ drivers/iommu/gpt/ 2>&1 | grep -E 'warning|error')
	if [ -n "$out" ]; then
		echo "$out"
		echo "check: sparse reports findings"
		fail=1
	else
		echo "check: sparse (C=2) clean on lib/gpt and drivers/iommu/gpt"
	fi
else
	echo "check: no x86_64 kernel configured; run 'make kernel' first for sparse"
	fail=1
fi
"$top/tools/kbuild/series-check.sh" "$ksrc" "$b" || fail=1
exit $fail
