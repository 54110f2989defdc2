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
	# Kinds that name a file of the initramfs.
	case "$kind" in
	unload | sysctl | sysfs) ;;
	*)
		if [ ! -e "/tests/$file" ]; then
			say "not ok [$label] /tests/$file is missing"
			continue
		fi
		;;
	esac
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
	load)
		# A driver that stays bound for the programs that follow.
		# shellcheck disable=SC2086
		say "[$label] insmod $file $args"
		if insmod "/tests/$file" $args; then
			say "ok [$label] $file loaded"
		else
			say "not ok [$label] insmod $file failed"
		fi
		;;
	unload)
		if rmmod "${file%.ko}"; then
			say "ok [$label] ${file%.ko} removed"
		else
			say "not ok [$label] rmmod ${file%.ko} failed"
		fi
		;;
	sysctl | sysfs)
		# FILE is a path under /proc/sys or /sys, ARGS the value.
		f=/proc/sys/$file
		[ "$kind" = sysfs ] && f=/sys/$file
		if echo "$args" > "$f"; then
			say "ok [$label] $f = $(cat "$f")"
		else
			say "not ok [$label] cannot set $f"
		fi
		;;
	tap)
		# A program whose TAP lines are its results, read by the
		# runner: its exit status says only that some test failed.
		say "[$label] run $file $args"
		# shellcheck disable=SC2086
		"/tests/$file" $args
		say "ok [$label] $file ran (exit status $?)"
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
