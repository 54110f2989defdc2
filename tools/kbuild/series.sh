#!/bin/bash
# make series: the project as a git format-patch series against Debian's
# linux-source-6.12, in the order tools/series/plan gives.
#
#   series.sh <build-root>
#
# Writes <build-root>/series/*.patch (0000 is the cover letter).  The work
# tree is <build-root>/series-git: the pristine source imported as one base
# commit (kept between runs, re-imported when the tarball changes), then one
# commit per patch of the plan, each built from the repo's files as they
# are now, so the series always carries the code the tests run.
set -euo pipefail

b=$(realpath "$1")
top=$(cd "$(dirname "$0")/../.." && pwd)
tarball=/usr/src/linux-source-6.12.tar.xz
wt=$b/series-git
out=$b/series

git_() { git -C "$wt" "$@"; }

# --- the base: Debian's source, untouched, as one commit -------------------
stamp="$(basename "$tarball") $(stat -c '%s %Y' "$tarball")"
if [ ! -d "$wt/.git" ] || ! git_ log -1 --format=%B base 2>/dev/null | grep -qF "$stamp"; then
	echo "series: importing $(basename "$tarball") as the base commit (once)"
	rm -rf "$wt"
	mkdir -p "$wt"
	tar -xJf "$tarball" -C "$wt" --strip-components=1
	git_ init -q
	git_ config core.autocrlf false
	git_ config gc.auto 0
	# -f: Debian's top-level .gitignore ignores everything (/*).
	git_ add -A -f
	version=$(make -s -C "$wt" kernelversion)
	GIT_AUTHOR_DATE=2024-11-17T00:00:00Z GIT_COMMITTER_DATE=2024-11-17T00:00:00Z git_ -c user.name=Debian \
		-c user.email=debian-kernel@lists.debian.org commit -q \
		-m "Linux $version (Debian linux-source-6.12)" -m "Imported from $stamp."
	git_ tag -f base >/dev/null
fi
version=$(make -s -C "$wt" kernelversion)

# The series' author: this repo's git identity, or a neutral one.
name=$(git -C "$top" config user.name || echo "gpt developers")
email=$(git -C "$top" config user.email || echo "gpt-devel@example.org")
export GIT_AUTHOR_NAME=$name GIT_AUTHOR_EMAIL=$email
export GIT_COMMITTER_NAME=$name GIT_COMMITTER_EMAIL=$email

git_ checkout -q -f --detach base
git_ clean -q -fdx

# --- the plan's vocabulary ---------------------------------------------------
msg=
patch() {
	msg=$top/tools/series/$1
	[ -f "$msg" ] || { echo "series: $msg missing" >&2; exit 1; }
}

# file <repo file> <tree path> [sed script]: the file as it is in the repo,
# or, for a file that grows over several patches (Kconfig, Makefile, a
# table of suites), what the sed script leaves of it so far.
file() {
	local src=$top/$1 dst=$wt/$2
	mkdir -p "$(dirname "$dst")"
	if [ $# -ge 3 ]; then
		# and no blank lines left at its end
		sed -e "$3" "$src" | sed -e :a -e '/^\n*$/{$d;N;ba' -e '}' > "$dst"
	else
		cp "$src" "$dst"
	fi
}

# files <tree dir> <repo files...>
files() {
	local d=$1 f
	shift
	for f in "$@"; do
		file "$f" "$d/$(basename "$f")"
	done
}

# hook <patch> [paths...]: one of drivers-iommu/patches, or only its
# changes to the paths given.
hook() {
	local p=$top/drivers-iommu/patches/$1 inc=() f
	shift
	for f in "$@"; do
		inc+=("--include=$f")
	done
	git_ apply "${inc[@]}" "$p"
}

commit() {
	git_ add -A -f
	git_ commit -q -s -F "$msg"
}

cd "$top"
# shellcheck source=../series/plan
. "$top/tools/series/plan"

# --- the series ---------------------------------------------------------------
rm -rf "$out"
mkdir -p "$out"
git_ format-patch -q --cover-letter --no-signature -o "$out" base..HEAD
cover=$out/0000-cover-letter.patch
n=$(git_ rev-list --count base..HEAD)
python3 - "$cover" "$top/tools/series/cover-letter" "$version" <<'EOF'
import sys
path, src, version = sys.argv[1:]
text = open(src).read().replace('@VERSION@', version)
subject, _, blurb = text.partition('\n\n')
cover = open(path).read()
cover = cover.replace('*** SUBJECT HERE ***', subject.strip())
cover = cover.replace('*** BLURB HERE ***', blurb.rstrip())
open(path, 'w').write(cover)
EOF
echo "series: $n patches and a cover letter against Linux $version in $out"
