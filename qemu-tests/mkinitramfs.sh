#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the test guests' initramfs: busybox-static, /init, the plan, and the
# test modules and programs named on the command line, as a gzip'd newc cpio.
#
# Why gen_init_cpio: it is the kernel's own tool (built in the kernel's
# output folder as usr/gen_init_cpio), it writes the /dev/console node the
# kernel needs before devtmpfs is mounted without needing root, and it makes
# every file root-owned, whoever builds the image.
#
# Why the plan is checked here: a plan line naming a file that is not in the
# image would only show up as a failing guest minutes later.
#
# usage: mkinitramfs.sh OUTPUT.cpio.gz PLAN GEN_INIT_CPIO FILE...
#   FILEs (test modules *.ko and test programs) land in /tests/.
set -euo pipefail

out=$1 plan=$2 gen=$3
shift 3
here=$(cd "$(dirname "$0")" && pwd)
busybox=${BUSYBOX:-/bin/busybox}

[ -x "$gen" ] || { echo "mkinitramfs: $gen missing (build the kernel first)" >&2; exit 1; }
file "$busybox" 2>/dev/null | grep -q 'statically linked' || {
	echo "mkinitramfs: $busybox is not a static busybox (install busybox-static)" >&2
	exit 1
}

declare -A have=()
for f in "$@"; do
	[ -f "$f" ] || { echo "mkinitramfs: $f does not exist" >&2; exit 1; }
	have[$(basename "$f")]=1
done
while read -r label kind file _; do
	case "$label" in "" | "#"*) continue ;; esac
	case "$kind" in unload | sysctl | sysfs) continue ;; esac
	if [ -z "${have[$file]:-}" ]; then
		echo "mkinitramfs: plan entry '$label' needs $file, which was not given" >&2
		exit 1
	fi
done < "$plan"

list=$(mktemp)
tmp=
trap 'rm -f "$list" ${tmp:+"$tmp"}' EXIT
{
	echo "dir /dev 0755 0 0"
	echo "nod /dev/console 0600 0 0 c 5 1"
	echo "nod /dev/null 0666 0 0 c 1 3"
	echo "dir /bin 0755 0 0"
	echo "dir /proc 0755 0 0"
	echo "dir /sys 0755 0 0"
	echo "dir /tmp 1777 0 0"
	echo "dir /tests 0755 0 0"
	echo "file /bin/busybox $busybox 0755 0 0"
	echo "slink /bin/sh busybox 0777 0 0"
	echo "file /init $here/guest-init.sh 0755 0 0"
	echo "file /tests/plan $plan 0644 0 0"
	for f in "$@"; do
		echo "file /tests/$(basename "$f") $(realpath "$f") 0755 0 0"
	done
} > "$list"

# Write aside and rename: a guest starting meanwhile reads the old image
# or the new one, never half of one.
mkdir -p "$(dirname "$out")"
tmp=$(mktemp "$out.XXXXXX")
"$gen" "$list" | gzip -9n > "$tmp"
chmod 0644 "$tmp"
mv -f "$tmp" "$out"
echo "initramfs: $out ($(du -k "$out" | cut -f1) KiB: busybox, $# test file(s))"
