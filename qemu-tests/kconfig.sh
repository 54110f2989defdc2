#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Make the guest kernel's .config: tinyconfig + qemu-tests/x86_64.config.
#
# Why a script and not three make lines:
#  - Kconfig silently drops any fragment line whose dependencies are not met
#    (KASAN next to SLUB_TINY, X2APIC without IRQ_REMAP, ...), and a guest
#    built without KASAN or lockdep would still "pass".  So after olddefconfig
#    every fragment line is checked and a mismatch stops the build.
#  - The fragment may name symbols the tree does not have yet (CONFIG_GPT
#    before the project's Kconfig patch is applied): those are reported and
#    skipped, so the guests can be built before the project code exists.
#  - The config is regenerated whenever the fragment or any Kconfig file of
#    the tree (the project's patches add some) is newer than the last run,
#    and when the result is identical the old .config is put back
#    untouched, so kbuild sees no change and an incremental build stays
#    incremental.
#
# usage: kconfig.sh KSRC OBJDIR FRAGMENT -- MAKE-COMMAND...
#   MAKE-COMMAND is the kernel make invocation without a target, e.g.
#   make -C build/linux O=build/x86_64 ARCH=x86_64 CC=... HOSTCC=...
set -euo pipefail

ksrc=$1 obj=$2 frag=$3
shift 3
[ "${1:-}" = "--" ] && shift
[ $# -gt 0 ] || { echo "kconfig.sh: no make command given" >&2; exit 2; }

mkdir -p "$obj"
cfg=$obj/.config
prev=$obj/.config.prev
stamp=$obj/.config.qemu-tests

if [ -f "$cfg" ] && [ -f "$stamp" ] && [ "$stamp" -nt "$frag" ] &&
   ! [ "$cfg" -nt "$stamp" ] &&
   [ -z "$(find -L "$ksrc" -name 'Kconfig*' -newer "$stamp" -print -quit)" ]; then
	exit 0
fi
rm -f "$prev"
[ -f "$cfg" ] && cp -p "$cfg" "$prev"

restore_on_error() {
	[ -f "$prev" ] && mv -f "$prev" "$cfg"
}
trap restore_on_error ERR

"$@" -s tinyconfig >/dev/null
"$ksrc"/scripts/kconfig/merge_config.sh -m -O "$obj" "$cfg" "$frag" >/dev/null
"$@" -s olddefconfig >/dev/null

# Does the tree define this symbol at all?
defined_in_tree() {
	grep -rqsE --include='Kconfig*' "^[[:space:]]*(menu)?config[[:space:]]+$1[[:space:]]*$" \
		"$ksrc"
}

bad=0
while IFS= read -r line; do
	case "$line" in
	CONFIG_*=*)
		sym=${line%%=*}
		grep -qxF "$line" "$cfg" && continue
		;;
	"# CONFIG_"*" is not set")
		sym=${line#\# }
		sym=${sym%% *}
		grep -q "^$sym=" "$cfg" || continue
		;;
	*)
		continue
		;;
	esac
	if ! defined_in_tree "${sym#CONFIG_}"; then
		echo "kconfig: note: $sym is not defined in this tree yet, skipped"
		continue
	fi
	have=$(grep -E "^($sym=|# $sym is not set)" "$cfg" || echo "$sym unset")
	echo "kconfig: ERROR: wanted '$line', got '$have'" >&2
	bad=1
done < "$frag"

if [ "$bad" -ne 0 ]; then
	echo "kconfig: ERROR: $frag did not apply; fix its dependencies" >&2
	restore_on_error
	exit 1
fi

if [ -f "$prev" ] && cmp -s "$cfg" "$prev"; then
	mv -f "$prev" "$cfg"
else
	rm -f "$prev"
	echo "kconfig: $cfg updated"
fi
touch "$stamp"
