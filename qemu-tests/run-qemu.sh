#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot one QEMU test guest and turn its console log into TAP, or explain a
# log that was already taken.
#
#   run-qemu.sh run    vtd|vtd-cm|amd KERNEL INITRD LOG TAP STAGE TIMEOUT [APPEND]
#   run-qemu.sh report vtd|amd LOG TAP STAGE
#   run-qemu.sh verdict RESULTS STAGE...
#
# Why the runner is strict: a guest test "passes" far too easily.  The vIOMMU
# may not have come up (then edu does DMA on physical addresses and the
# module cannot attach), the guest may hang or crash half way, a test may
# pass while lockdep or KASAN complained on the side, and a write the IOMMU
# blocked is invisible to edu.  So besides the KTAP results the runner also
# checks, each as a TAP line of its own: that the guest reached the end of
# its plan, that the right IOMMU initialised, that the console holds no
# kernel splat, that on VT-d every access the module expected to be blocked
# shows up in the DMAR fault log (and nothing else does), and that the
# break_mapping negative control did fail.
#
# Why these QEMU options: q35 is the only machine with a VT-d/AMD-Vi model;
# aw-bits=48 because VT-d defaults to 39 address bits; intremap needs the
# split irqchip; edu's default 28-bit dma_mask silently truncates IOVAs; and
# edu finishes every transfer on a 100 ms virtual timer, which
# "-icount shift=0,sleep=off" skips instead of sleeping through; 3 GiB of
# RAM because q35 then puts the RAM above 2 GiB at [4 GiB, 5 GiB), a
# 1 GiB-aligned gigabyte that is all RAM, which gpt_edu_dir maps as one
# 1 GiB IOMMU page and lets edu read.  An oops
# usually leaves a lock held and the next test hangs until the timeout, so
# "oops=panic panic=-1 -no-reboot" ends the guest at the first oops instead.
set -uo pipefail

die() {
	echo "run-qemu: $*" >&2
	exit 2
}

iommu_title() {
	case "$1" in
	vtd) echo "Intel VT-d" ;;
	amd) echo "AMD-Vi" ;;
	*) die "unknown vIOMMU '$1' (vtd or amd)" ;;
	esac
}

# The console log with printk timestamps and carriage returns removed.
clean_log() {
	sed -e 's/\r$//' -e 's/^\[ *[0-9]*\.[0-9]*\] //' "$1"
}

# Kernel splats: anything matching SPLAT_RE fails the guest even if every
# test passed.
# shellcheck source=../tools/kbuild/splat-re.sh
. "$(dirname "$0")/../tools/kbuild/splat-re.sh"

# ---- TAP from a log --------------------------------------------------------
#
# A KTAP suite starts with "# Subtest: NAME": at the left margin for the test
# modules, indented by four spaces for the KUnit suites the kernel runs at
# boot (reported as "kunit: NAME").  Its "ok N" / "not ok N" lines at the
# same indentation are the results; deeper ones (parameterised cases) are
# summed up by their parent.  A suite carrying a "# negative-control:" line
# is expected to fail and is reported as one line.
parse_log() {
	local iommu=$1 log=$2 stage=$3
	clean_log "$log" | awk -v stage="$stage" -v iommu="$iommu" \
		-v programs_only="${GPT_QEMU_PROGRAMS_ONLY:-0}" '
	function close_suite() {
		if (suite == "")
			return
		# It must fail, but not everywhere: if nothing passed, the
		# setup broke and the control proves nothing.
		if (neg) {
			if (nres != plan)
				printf "not ok - %s: %s: negative control stopped after %d of %d results\n", stage, suite, nres, plan
			else if (nfail == 0)
				printf "not ok - %s: %s: negative control passed: the checks cannot see a wrong mapping\n", stage, suite
			else if (nfail == plan)
				printf "not ok - %s: %s: negative control could not run: all %d tests failed\n", stage, suite, plan
			else
				printf "ok - %s: %s: negative control failed as intended (%d of %d tests not ok)\n", stage, suite, nfail, plan
		} else {
			printf "%s", out
			if (plan < 0)
				printf "not ok - %s: %s: no test plan (1..N) printed\n", stage, suite
			else if (nres != plan)
				printf "not ok - %s: %s: %d of %d results, the suite stopped early\n", stage, suite, nres, plan
		}
		suite = ""
	}
	{
		match($0, /^ */)
		lead = RLENGTH
		body = substr($0, lead + 1)
	}
	(lead == 0 || lead == 4) && body ~ /^# Subtest: / {
		close_suite()
		split(body, w, " ")
		suite = (lead ? "kunit: " : "") w[3]
		slead = lead; plan = -1; nres = 0; nfail = 0; neg = 0; out = ""
		nsuites++
		next
	}
	# A line left of the suite (KUnit closing the suite) ends it.
	suite != "" && lead < slead && body ~ /^((not )?ok [0-9]+ |KTAP version|# )/ { close_suite() }
	suite != "" && lead == slead && body ~ /^KTAP version/ { close_suite(); next }
	suite != "" && lead == slead && body ~ /^# negative-control:/ { neg = 1; next }
	suite != "" && lead == slead && plan < 0 && body ~ /^1\.\.[0-9]+/ {
		plan = substr(body, 4) + 0; next
	}
	suite != "" && lead == slead && body ~ /^(not )?ok [0-9]+ / {
		line = body
		bad = (line ~ /^not ok/)
		sub(/^(not )?ok [0-9]+ /, "", line)
		name = line; sub(/ #.*/, "", name)
		why = ""
		if (line ~ / # /) { why = line; sub(/^[^#]* # /, "", why) }
		nres++
		if (why ~ /^SKIP/) {
			out = out sprintf("ok - %s: %s: %s # %s\n", stage, suite, name, why)
		} else if (bad) {
			nfail++
			out = out sprintf("not ok - %s: %s: %s%s\n", stage, suite, name, why == "" ? "" : " (" why ")")
		} else {
			out = out sprintf("ok - %s: %s: %s\n", stage, suite, name)
		}
		next
	}
	/^gpt-init: (not )?ok / {
		line = $0; sub(/^gpt-init: /, "", line)
		bad = (line ~ /^not ok/); sub(/^(not )?ok /, "", line)
		printf "%s - %s: init: %s\n", bad ? "not ok" : "ok", stage, line
		next
	}
	/^gpt-init: done/ { done = 1 }
	END {
		close_suite()
		if (nsuites == 0 && !programs_only)
			printf "not ok - %s: no KTAP suite in the console log\n", stage
		if (!done)
			printf "not ok - %s: guest did not reach the end of its test plan\n", stage
	}'
}

# Did the vIOMMU come up, and is edu behind it?
check_iommu() {
	local iommu=$1 log=$2 stage=$3 want have
	case "$iommu" in
	vtd) want='DMAR: Intel\(R\) Virtualization Technology for Directed I/O' ;;
	amd) want='AMD-Vi: (Interrupt remapping enabled|Found IOMMU)' ;;
	esac
	have=$(clean_log "$log" | grep -E '^# iommu: ' | head -n1)
	# (no grep -q after a pipe: with pipefail its early exit reads as failure)
	if [ "$(clean_log "$log" | grep -cE "$want")" -eq 0 ]; then
		echo "not ok - $stage: $(iommu_title "$iommu") initialised in the guest (no '$want' in the log)"
	elif [ "$iommu" = vtd ] && ! grep -q '^# iommu: dmar' <<< "$have"; then
		echo "not ok - $stage: edu is behind the VT-d unit (${have:-no iommu line})"
	elif [ "$iommu" = amd ] && ! grep -q '^# iommu: ivhd' <<< "$have"; then
		echo "not ok - $stage: edu is behind the AMD-Vi unit (${have:-no iommu line})"
	else
		have=${have#\# iommu: }
		echo "ok - $stage: $(iommu_title "$iommu") initialised, edu is behind ${have%%;*}"
	fi
}

check_splat() {
	local log=$1 stage=$2 first n
	n=$(clean_log "$log" | grep -cE "$SPLAT_RE")
	if [ "$n" -eq 0 ]; then
		echo "ok - $stage: no kernel splat (oops, BUG, WARNING, KASAN, lockdep, RCU stall, panic)"
	else
		first=$(clean_log "$log" | grep -m1 -E "$SPLAT_RE")
		echo "not ok - $stage: kernel splat in the console log ($n lines, first: $first)"
	fi
}

# On VT-d every access the module expected to be blocked must appear in the
# DMAR fault log, and nothing else may.  "expect-fault: read|write IOVA"
# lines name accesses whose translation QEMU has to walk (and so reports);
# "maybe-fault:" lines name accesses to a page whose read-only translation
# QEMU may already cache, which it then refuses without a fault record.
# (QEMU 7.2's AMD-Vi logs nothing for a missing PTE, so there the byte
# checks of the tests are all there is.)
check_faults() {
	local iommu=$1 log=$2 stage=$3 verdict nwant ngot
	[ "$iommu" = vtd ] || return 0
	verdict=$(clean_log "$log" | awk '
	/^# expect-fault: / { want[$3 " " $4]++; nwant++; next }
	/^# maybe-fault: / { maybe[$3 " " $4]++; next }
	/^DMAR: \[DMA (Read|Write)/ {
		kind = ($3 == "Read") ? "read" : "write"
		for (i = 1; i < NF; i++)
			if ($i == "addr")
				got[kind " " $(i + 1)]++
		ngot++
	}
	END {
		for (k in want)
			if (got[k] < want[k])
				missing = missing " " k " (" want[k] - got[k] "x)"
		for (k in got) {
			extra = got[k] - want[k] - maybe[k]
			if (extra > 0)
				stray = stray " " k " (" extra "x)"
		}
		if (missing != "" || stray != "")
			printf "bad %d %d%s%s\n", nwant, ngot,
				missing == "" ? "" : "; not logged:" missing,
				stray == "" ? "" : "; unexpected:" stray
		else
			printf "good %d %d\n", nwant, ngot
	}')
	case "$verdict" in
	good*)
		read -r _ nwant ngot <<< "$verdict"
		echo "ok - $stage: DMAR fault log holds every blocked access and nothing else ($nwant expected, $ngot logged)"
		;;
	*)
		echo "not ok - $stage: DMAR fault log does not match the blocked accesses (${verdict#bad * * })"
		;;
	esac
}

do_run() {
	local iommu=$1 kernel=$2 initrd=$3 log=$4 tap=$5 stage=$6 limit=$7
	local append=${8:-} dev cmd start rc secs cm=

	# vtd-cm: VT-d in caching mode, as a vIOMMU under VFIO runs; the
	# driver must then flush after new mappings too.  Checked as VT-d.
	if [ "$iommu" = vtd-cm ]; then
		iommu=vtd
		cm=,caching-mode=on
	fi

	iommu_title "$iommu" >/dev/null
	mkdir -p "$(dirname "$log")" "$(dirname "$tap")"
	# Two makes in the same tree would interleave one log: take turns.
	exec 9> "$log.lock"
	flock 9
	: > "$tap"
	if [ ! -f "$kernel" ] || [ ! -f "$initrd" ]; then
		echo "not ok - $stage: kernel or initramfs missing ($kernel, $initrd)" > "$tap"
		return 1
	fi
	case "$iommu" in
	vtd) dev=intel-iommu,aw-bits=48,intremap=on$cm
	     append="intel_iommu=on $append" ;;
	amd) dev=amd-iommu,intremap=on ;;
	esac
	# shellcheck disable=SC2054 # commas belong to QEMU option values
	cmd=(qemu-system-x86_64 -machine q35,kernel-irqchip=split -accel tcg
	     -m 3G -smp 2 -icount shift=0,sleep=off
	     -nodefaults -display none -serial stdio -monitor none -no-reboot
	     -device "$dev" -device edu,dma_mask=0xffffffffffffffff
	     -kernel "$kernel" -initrd "$initrd"
	     -append "console=ttyS0 panic=-1 oops=panic log_buf_len=1M $append")
	# More devices for one kind of guest (the hmm-tests guests: a second
	# edu), as QEMU words.
	if [ -n "${GPT_QEMU_EXTRA:-}" ]; then
		read -ra extra <<< "$GPT_QEMU_EXTRA"
		cmd+=("${extra[@]}")
	fi

	echo "$stage: booting the $(iommu_title "$iommu") guest (log: $log)"
	start=$(date +%s.%N)
	timeout -k 10 "$limit" "${cmd[@]}" < /dev/null > "$log" 2>&1
	rc=$?
	secs=$(echo "$(date +%s.%N) - $start" | bc)
	printf 'run-qemu: %s exited %d after %.1f s\n' "${cmd[0]}" "$rc" "$secs" >> "$log"
	printf '%s: guest ran %.1f s (wall), QEMU exit status %d\n' "$stage" "$secs" "$rc"

	{
		if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
			echo "not ok - $stage: guest timed out after $limit s"
		elif [ "$rc" -ne 0 ]; then
			echo "not ok - $stage: QEMU exited with status $rc ($(grep -m1 -i 'qemu-system\|error' "$log"))"
		fi
		check_iommu "$iommu" "$log" "$stage"
		parse_log "$iommu" "$log" "$stage"
		check_faults "$iommu" "$log" "$stage"
		check_splat "$log" "$stage"
	} > "$tap"
	! grep -q '^not ok' "$tap"
}

# ---- the human-readable report ---------------------------------------------

# The directory-API module (gpt_edu_dir) in a few lines, from its "# dir: "
# lines: what it mapped through the directory (with the IOMMU page sizes it
# got), the bytes the device moved and the CPU checked, what the device saw
# after each kind of call, failed tests, and its negative control (with what
# the device saw when the flush was skipped).
dir_report() {
	clean_log "$1" | awk '
	# what a "# dir: saw:" line says when the device saw the wrong thing
	function flag(s) {
		return s ~ /WRONG|CHANGED|LANDED|GOT|LOST|NOT|OLD|DIFFER|REACHED|FAILED/
	}
	/^# Subtest: / {
		on = ($3 == "gpt_edu_dir"); neg = ($3 == "gpt_edu_dir_no_flush")
		seen += on
		next
	}
	neg && /^# negative-control:/ { what = substr($0, 21); next }
	neg && /^# dir: saw: / && flag($0) { negsaw = negsaw "      " substr($0, 13) "\n"; next }
	neg && /^not ok [0-9]+ / { nneg++; negbad = negbad (nneg > 1 ? ", " : "") $4; next }
	neg && /^ok [0-9]+ / { negok++; next }
	!on { next }
	/^1\.\.[0-9]+/ { plan = substr($0, 4) + 0; next }
	/^# dir: domain: / { domain = substr($0, 16); next }
	/^# dir: map: / {
		# "# dir: map: IOVA A-B: N entries, X rw, Y ro, Z invalid (what)"
		r = $5; sub(/:$/, "", r)
		t = $0; sub(/^[^:]*: [^:]*: [^:]*: /, "", t)
		gsub(/, 0 (rw|ro|invalid)/, "", t)
		nmap++; range[nmap] = r; desc[r] = t
		next
	}
	/^# dir: page: / {
		r = $5; sub(/:$/, "", r)
		t = $0; sub(/^[^:]*: [^:]*: [^:]*: /, "", t)
		sub(/phys 0x0+/, "phys 0x", t)
		page[r] = t
		next
	}
	/^# dir: saw: / {
		t = substr($0, 13); i = index(t, ": ")
		ph = substr(t, 1, i - 1); t = substr(t, i + 2)
		saw = saw sprintf("    %-9s %s\n", ph == last ? "" : ph ":", t)
		last = ph
		next
	}
	/^# dir: total: / { total = substr($0, 15); next }
	/^ok [0-9]+ .* # SKIP / {
		t = $0; sub(/^.* # SKIP /, "", t)
		fails = fails "    [skip] " $3 " (" t ")\n"
	}
	/^ok [0-9]+ / { nok++; next }
	/^not ok [0-9]+ / {
		t = $0; sub(/^[^#]*(# )?/, "", t)
		fails = fails "    [FAIL] " $4 " (" t ")\n"
		nfail++
		next
	}
	END {
		if (!seen) {
			print "Directory API (gpt_edu_dir): did not run"
			exit
		}
		printf "Directory API (gpt_edu_dir: iommu_dir_map / _update / _unmap, "
		printf "device DMA): %d of %d tests ok", nok, plan
		if (nok + nfail < plan)
			printf " (stopped after %d)", nok + nfail
		printf "\n"
		if (domain != "")
			printf "  Domain: %s\n", domain
		print "  Mapped through the directory (hmm-style pfn arrays):"
		for (i = 1; i <= nmap; i++) {
			r = range[i]
			printf "    IOVA %-31s %s\n", r, desc[r]
			if (r in page)
				printf "    %-36s -> %s\n", "", page[r]
		}
		if (total != "")
			printf "  DMA: %s\n", total
		print "  What the device saw:"
		printf "%s", saw
		if (fails != "")
			printf "  Tests not ok:\n%s", fails
		if (what == "")
			exit
		printf "  Negative control (gpt_edu_dir_no_flush): %s\n", what
		printf "    -> %d of %d tests failed as intended: %s\n", nneg,
			nneg + negok, negbad == "" ? "none" : negbad
		if (negsaw != "")
			printf "    the device, with no flush:\n%s", negsaw
	}'
}

# One block per test: its result, then what it mapped where and what the
# device did, condensed from the module's "# " lines; the negative control
# in one line; then the runner's own checks and the wall time.  The
# directory-API module gets a section of its own (dir_report).
do_report() {
	local iommu=$1 log=$2 tap=$3 stage=$4 pass fail
	[ -f "$log" ] || die "$log missing: run the guest first"
	echo
	echo "===== $stage: QEMU q35 + $(iommu_title "$iommu") + edu ====="
	clean_log "$log" | awk '
	function phys(p) { sub(/^0x0+/, "0x", p); return p }
	function flush(status, name, why) {
		printf "  [%s] %s%s\n", status, name, why == "" ? "" : " (" why ")"
		if (src != "")
			printf "       mapped read-write:%s (source),%s (destination)\n", src, dst
		printf "%s", buf
		buf = ""; src = ""; dst = ""
	}
	/^# Subtest: / { suite = $3; neg = 0; nbad = 0; bad = ""; next }
	# gpt_edu_dir and its negative control have a section of their own
	suite ~ /^gpt_edu_dir/ { next }
	/^# negative-control:/ { neg = 1; what = substr($0, 21); next }
	neg && /^not ok [0-9]+ / { nbad++; bad = bad (nbad > 1 ? ", " : "") $4; next }
	neg && /^# .*total:/ {
		printf "Negative control (%s): %s\n  -> %d tests failed as intended: %s\n", suite, what, nbad, bad
		neg = 0; next
	}
	neg { next }
	/^# iommu: / { print "IOMMU: " substr($0, 10); next }
	/^# map IOVA / {
		# "# map IOVA X -> phys P PROT (WHAT)"
		what = $0; sub(/^[^(]*\(/, "", what); sub(/\)$/, "", what)
		if (what == "source") src = src " " $4 "->" phys($7)
		else if (what == "destination") dst = dst " " $4 "->" phys($7)
		else buf = buf sprintf("       IOVA %s -> phys %s %s (%s)\n", $4, phys($7), $8, what)
		next
	}
	/^# (expect|maybe)-fault: / { next }
	/^# .*: pass:[0-9]+ / { next }
	/^# / && suite != "" { buf = buf "       " substr($0, 3) "\n"; next }
	suite != "" && /^ok [0-9]+ .* # SKIP/ {
		why = $0; sub(/^.* # SKIP /, "", why); flush("skip", $3, why); next
	}
	suite != "" && /^ok [0-9]+ / { flush("ok", $3, ""); next }
	suite != "" && /^not ok [0-9]+ / {
		why = $0; sub(/^[^#]*(# )?/, "", why); flush("FAIL", $4, why); next
	}
	'
	dir_report "$log"
	case "$iommu" in
	vtd)
		echo "DMAR fault log (device accesses the IOMMU blocked, as the guest logged them):"
		clean_log "$log" | grep '^DMAR: \[DMA' | sed 's/^DMAR: /  /'
		;;
	amd)
		echo "AMD-Vi event log: $(clean_log "$log" | grep -c 'IO_PAGE_FAULT') IO_PAGE_FAULT events" \
			"(QEMU 7.2 logs none for a missing PTE; the byte checks decide)"
		;;
	esac
	if [ ! -s "$tap" ]; then
		echo "Checks: none ($tap missing)"
		return 1
	fi
	echo "Runner checks:"
	grep -v ": gpt_edu_smoke: " "$tap" | sed "s/ - $stage: / /; s/^/  /"
	grep -h '^run-qemu: ' "$log" | sed 's/^run-qemu: /Time: /; s/$/ (boot + all tests, wall clock)/'
	pass=$(grep -c '^ok' "$tap")
	fail=$(grep -c '^not ok' "$tap")
	echo "Checks: $pass ok, $fail not ok"
}

do_verdict() {
	local results=$1 s tap bad=0 pass fail
	shift
	echo
	for s in "$@"; do
		tap=$results/$s.tap
		if [ ! -s "$tap" ]; then
			echo "VERDICT $s: FAIL (no results)"
			bad=1
			continue
		fi
		pass=$(grep -c '^ok' "$tap")
		fail=$(grep -c '^not ok' "$tap")
		case "$s" in
		*vtd*) t="Intel VT-d" ;;
		*amd*) t="AMD-Vi" ;;
		*) t=$s ;;
		esac
		if [ "$fail" -eq 0 ]; then
			echo "VERDICT $s ($t): PASS - $pass checks ok"
		else
			echo "VERDICT $s ($t): FAIL - $fail of $((pass + fail)) checks not ok"
			bad=1
		fi
	done
	return "$bad"
}

mode=${1:-}
shift || true
case "$mode" in
run)
	[ $# -ge 7 ] || die "usage: run vtd|amd KERNEL INITRD LOG TAP STAGE TIMEOUT [APPEND]"
	do_run "$@"
	;;
report)
	[ $# -eq 4 ] || die "usage: report vtd|amd LOG TAP STAGE"
	do_report "$@"
	;;
verdict)
	[ $# -ge 2 ] || die "usage: verdict RESULTS STAGE..."
	do_verdict "$@"
	;;
*)
	die "usage: run-qemu.sh run|report|verdict ..."
	;;
esac
