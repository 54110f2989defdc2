#!/bin/bash
# The series of make series, checked the way a maintainer takes it:
#  1. git am onto a pristine copy of the base tree;
#  2. the result equals the tree the tests build (build/linux, with the
#     project's files linked in and drivers-iommu/patches applied);
#  3. its Sphinx documentation builds without warnings, and checkpatch
#     --strict passes on every patch;
#  4. every patch in turn builds the guest kernel's configuration, plus
#     lib-gpt's KUnit suite and the edu test drivers (as modules),
#     incrementally and through ccache, so the series is bisectable.
#   series-check.sh <ksrc> <build-root> [jobs]
set -uo pipefail

ksrc=$(realpath "$1") b=$(realpath "$2") jobs=${3:-$(nproc)}
series=$b/series
# Same layout as build/linux and build/x86_64 (../linux from the object
# tree), so that ccache, with CCACHE_BASEDIR=build, serves what the guest
# kernel's build already compiled.
am=$b/series-am/linux
obj=$b/series-am/x86_64
log=$b/series-am/build.log
export CCACHE_DIR=${CCACHE_DIR:-$b/ccache} CCACHE_BASEDIR=${CCACHE_BASEDIR:-$b}
fail=0

[ -d "$b/series-git/.git" ] && ls "$series"/0001-*.patch >/dev/null 2>&1 ||
	{ echo "series-check: no series; run make series" >&2; exit 1; }
[ -f "$b/x86_64/.config" ] ||
	{ echo "series-check: no guest kernel config; run make kernel" >&2; exit 1; }

export GIT_AUTHOR_NAME=series-check GIT_AUTHOR_EMAIL=series-check@localhost
export GIT_COMMITTER_NAME=series-check GIT_COMMITTER_EMAIL=series-check@localhost

# --- 1. git am onto the base ----------------------------------------------------
if [ ! -e "$am/.git" ]; then
	mkdir -p "$(dirname "$am")"
	git -C "$b/series-git" worktree prune
	git -C "$b/series-git" worktree add -q --detach "$am" base
fi
git -C "$am" am --abort >/dev/null 2>&1
git -C "$am" checkout -q -f --detach base
git -C "$am" clean -q -fdx
mapfile -t patches < <(ls "$series"/*.patch | grep -v '/0000-')
if git -C "$am" am -q "${patches[@]}"; then
	echo "series-check: git am: ${#patches[@]} patches applied onto $(git -C "$am" log -1 --format=%s base)"
else
	echo "series-check: git am failed"
	exit 1
fi

# --- 2. the same tree as the tests' ------------------------------------------------
out=$(diff -r -q -x .git "$am" "$ksrc" 2>&1)
if [ -n "$out" ]; then
	echo "$out" | head -20
	echo "series-check: the series' tree differs from build/linux in $(echo "$out" | wc -l) place(s)"
	fail=1
else
	echo "series-check: the series' tree equals the tree the tests build (diff -r)"
fi

# --- the documentation, with the kernel's Sphinx setup, only our directory --
# In the series' tree: the htmldocs target writes generated files into the
# source tree, which must stay equal to the tests'.  Debian's Sphinx runs
# under /usr/bin's python3; graphviz's absence is the machine's, not ours.
out=$(PATH=/usr/bin:$PATH make -s -C "$am" O="$b/htmldocs" \
	SPHINXDIRS=driver-api/gpt htmldocs 2>&1 | grep -E 'WARNING|ERROR' |
	grep -v 'dot(1) not found')
if [ -n "$out" ]; then
	echo "$out"
	echo "series-check: Sphinx (SPHINXDIRS=driver-api/gpt): $(echo "$out" | wc -l) finding(s)"
	fail=1
else
	echo "series-check: Sphinx htmldocs of Documentation/driver-api/gpt: no warnings"
fi

# --- 3. checkpatch --strict per patch --------------------------------------------
# FILE_PATH_CHANGES: the MAINTAINERS entry is the series' last patch.
for p in "${patches[@]}"; do
	out=$(perl "$am/scripts/checkpatch.pl" --strict --terse \
		--ignore FILE_PATH_CHANGES "$p" 2>&1 | grep -E ': (ERROR|WARNING|CHECK):')
	if [ -n "$out" ]; then
		echo "$out"
		echo "series-check: checkpatch --strict: $(basename "$p"): $(echo "$out" | wc -l) finding(s)"
		fail=1
	fi
done
[ $fail = 0 ] && echo "series-check: checkpatch --strict clean on all ${#patches[@]} patches"

# --- 4. every patch builds --------------------------------------------------------
mkdir -p "$obj"
: > "$log"
kmake() {
	flock "$b/.kbuild.lock" make -C "$am" O="$obj" ARCH=x86_64 \
		CC="ccache gcc" HOSTCC="ccache gcc" "$@" >> "$log" 2>&1
}
n=0 built=0
for c in $(git -C "$am" rev-list --reverse base..HEAD); do
	n=$((n + 1))
	git -C "$am" checkout -q --detach "$c"
	subj=$(git -C "$am" log -1 --format=%s "$c")
	cp "$b/x86_64/.config" "$obj/.config"
	printf 'CONFIG_GPT_KUNIT_TEST=y\nCONFIG_GPT_EDU_MIRROR=m\nCONFIG_GPT_EDU_TESTS=m\n' >> "$obj/.config"
	t0=$(date +%s)
	echo "== [$n] $subj" >> "$log"
	if kmake -s olddefconfig && kmake -s -j"$jobs" &&
	   ! grep -q '^\(.*: \)\?\(error\|warning\):' <(sed -n "/^== \[$n\] /,\$p" "$log"); then
		built=$((built + 1))
		syms=$(grep -oE '^CONFIG_(GPT|IOMMU_DIR|IOMMU_MIRROR|INTEL_IOMMU_GPT|AMD_IOMMU_GPT|AMD_IOMMU_V2_GPT|GPT_EDU)[A-Z0-9_]*=[ym]' \
			"$obj/.config" | sed 's/^CONFIG_//; s/=.*//' | tr '\n' ' ')
		echo "series-check: [$n/${#patches[@]}] builds ($(( $(date +%s) - t0 )) s): $subj; enabled: ${syms:-none}"
	else
		echo "series-check: [$n/${#patches[@]}] does not build: $subj (see $log)"
		fail=1
	fi
done
echo "series-check: $built of $n patches build the guest kernel config"
exit $fail
