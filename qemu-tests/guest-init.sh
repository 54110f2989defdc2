#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# /init of the QEMU test guests (busybox sh).
#
# Why it is this small: the guest exists only to load test modules and run
# test programs, then power off so QEMU exits and the runner can read the
# console log.  Results come from the tests themselves (KTAP); this script
# adds one "gpt-init: ok|not ok" line per plan entry, because a module that
# fails to load or reports nothing would otherwise leave no trace.  Each
# module is removed again after it ran, so the next one finds the device
# free.

export PATH=/bin

/bin/busybox --install -s /bin
mkdir -p /proc /sys /dev /tmp
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null

say() {
	echo "gpt-init: $*"
}

# KTAP suites in the kernel log so far.
suites() {
	dmesg | grep -c '# Subtest: '
}

cmdline=$(cat /proc/cmdline)
only=
for tok in $cmdline; do
	case "$tok" in
	gpt.only=*) only=${tok#gpt.only=} ;;
	esac
done

# MODULE.PARAM=VALUE words of the kernel command line, as insmod arguments.
cmdline_params() {
	for tok in $cmdline; do
		case "$tok" in
		"$1".*=*) echo "${tok#"$1".}" ;;
		esac
	done
}

say "start, kernel $(uname -r), $(grep -c ^processor /proc/cpuinfo) CPUs"

while read -r label kind file args; do
	case "$label" in
	"" | "#"*) continue ;;
	esac
	if [ -n "$only" ]; then
		case ",$only," in
		*",$label,"*) ;;
		*) continue ;;
		esac
	fi
	if [ ! -e "/tests/$file" ]; then
		say "not ok [$label] /tests/$file is missing"
		continue
	fi
	case "$kind" in
	module)
		name=${file%.ko}
		# shellcheck disable=SC2046,SC2086
		set -- $args $(cmdline_params "$name")
		before=$(suites)
		say "[$label] insmod $file $*"
		insmod "/tests/$file" "$@"
		rc=$?
		after=$(suites)
		if [ "$rc" -ne 0 ]; then
			say "not ok [$label] insmod $file failed (rc=$rc)"
		elif [ "$after" -le "$before" ]; then
			say "not ok [$label] $file printed no KTAP suite"
		else
			say "ok [$label] $file ran"
		fi
		[ "$rc" -eq 0 ] && rmmod "$name"
		;;
	run)
		say "[$label] run $file $args"
		# shellcheck disable=SC2086
		"/tests/$file" $args
		rc=$?
		if [ "$rc" -eq 0 ]; then
			say "ok [$label] $file exited 0"
		else
			say "not ok [$label] $file exited $rc"
		fi
		;;
	*)
		say "not ok [$label] unknown kind '$kind' in the plan"
		;;
	esac
done < /tests/plan

say "done"
sync
poweroff -f
