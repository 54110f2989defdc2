#!/bin/bash
# Prepare the kernel source tree under build/linux:
#  - unpack Debian's linux-source-6.12 once (the pristine tarball is never
#    edited),
#  - link the project's files into it, so editing a repo file makes the next
#    kernel build incremental,
#  - apply the project's patch files idempotently; a patch that neither
#    applies nor is already applied stops the build with a clear message.
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
ksrc=$top/build/linux
tarball=/usr/src/linux-source-6.12.tar.xz
made_against=6.12.118

if [ ! -f "$ksrc/Makefile" ]; then
	[ -f "$tarball" ] || { echo "prepare-tree: $tarball missing (run tools/kbuild/deps.sh)" >&2; exit 1; }
	echo "prepare-tree: unpacking $(basename "$tarball")"
	rm -rf "$top/build/linux.tmp"
	mkdir -p "$top/build/linux.tmp"
	tar -xJf "$tarball" -C "$top/build/linux.tmp"
	mv "$top/build/linux.tmp/linux-source-6.12" "$ksrc"
	rmdir "$top/build/linux.tmp"
fi

have=$(make -s -C "$ksrc" kernelversion 2>/dev/null || echo unknown)
if [ "$have" != "$made_against" ]; then
	echo "prepare-tree: note: kernel source is $have, patches were made against $made_against" >&2
fi

# Project files: lib-gpt and its KUnit suites become lib/gpt/, public
# headers go next to the kernel's own.
mkdir -p "$ksrc/lib/gpt"
find "$ksrc/lib/gpt" -maxdepth 1 -type l ! -exec test -e {} \; -delete
# .kunitconfig: kunit.py run --kunitconfig=lib/gpt (or drivers/iommu/gpt).
for f in "$top"/lib-gpt/* "$top"/lib-gpt/.kunitconfig "$top"/kunit/gpt_*.[ch]; do
	[ -e "$f" ] || continue
	ln -sfn "$f" "$ksrc/lib/gpt/$(basename "$f")"
done
for f in "$top"/include/linux/*.h; do
	[ -e "$f" ] || continue
	ln -sfn "$f" "$ksrc/include/linux/$(basename "$f")"
done
if [ -d "$top/drivers-iommu/src" ]; then
	mkdir -p "$ksrc/drivers/iommu/gpt"
	find "$ksrc/drivers/iommu/gpt" -maxdepth 1 -type l ! -exec test -e {} \; -delete
	for f in "$top"/drivers-iommu/src/* "$top"/drivers-iommu/src/.kunitconfig \
		 "$top"/kunit/iommu_*_kunit.c; do
		ln -sfn "$f" "$ksrc/drivers/iommu/gpt/$(basename "$f")"
	done
fi

# link_dir <dir in the tree> <repo files...>: the directory holds exactly
# these links (stale ones go).
link_dir() {
	local d=$ksrc/$1 f
	shift
	mkdir -p "$d"
	find "$d" -maxdepth 1 -type l -delete
	for f in "$@"; do
		[ -e "$f" ] && ln -sfn "$f" "$d/$(basename "$f")"
	done
	return 0
}
# The edu test drivers, the mirror's selftests and the documentation, where
# the patch series puts them (tools/kbuild/series.sh).
link_dir drivers/misc/gpt_edu "$top"/qemu-tests/edu/Kconfig \
	"$top"/qemu-tests/edu/Kbuild "$top"/qemu-tests/edu/*.[ch]
link_dir tools/testing/selftests/iommu_mirror "$top"/qemu-tests/hmm/Makefile \
	"$top"/qemu-tests/hmm/config "$top"/qemu-tests/hmm/*.[ch]
link_dir Documentation/driver-api/gpt "$top"/Documentation/*.rst

for p in "$top"/drivers-iommu/patches/*.patch; do
	[ -e "$p" ] || continue
	name=$(basename "$p")
	if patch -d "$ksrc" -p1 -R --dry-run -s -f < "$p" >/dev/null 2>&1; then
		continue
	fi
	if ! patch -d "$ksrc" -p1 --dry-run -s -f < "$p" >/dev/null 2>&1; then
		echo "prepare-tree: ERROR: $name does not apply to Linux $have" >&2
		echo "prepare-tree: it was made against $made_against; refresh it" >&2
		exit 1
	fi
	echo "prepare-tree: applying $name"
	patch -d "$ksrc" -p1 -s -f < "$p"
done
