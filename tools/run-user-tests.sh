#!/bin/bash
# Run every userspace test of lib-gpt and write flat TAP lines for the
# project summary.  Each run keeps its full log next to the binaries.
#   run-user-tests.sh <bin-dir> <tap-file> <diff-ops> <fuzz-seconds>
set -u
bin=$1 tap=$2 ops=$3 fuzz=$4
: > "$tap"

emit() {	# emit <ok|not ok> <name>
	echo "$1 - user: $2" | tee -a "$tap"
}

# KTAP from the shim runner -> one line per case, prefixed with its suite.
ktap_cases() {	# ktap_cases <label> <log>
	awk -v label="$1" '
		/^    # Subtest: / { suite = $3 }
		/^    (not )?ok [0-9]+ / {
			st = ($1 == "not") ? "not ok" : "ok"
			name = ($1 == "not") ? $4 : $3
			skip = ($0 ~ /# SKIP/) ? " # SKIP" : ""
			printf "%s - user: %s %s.%s%s\n", st, label, suite, name, skip
		}' "$2" | tee -a "$tap"
}

run() {	# run <log> <cmd...>: run, keep the log, return the exit code
	local log=$1
	shift
	"$@" > "$log" 2>&1
}

run "$bin/unit.log" "$bin/gpt-test"; rc=$?
ktap_cases unit "$bin/unit.log"
[ $rc -eq 0 ] || grep -q "^    not ok" "$bin/unit.log" || emit "not ok" "unit runner exited $rc"

seed=${GPT_SEED:-$(date +%s)}
run "$bin/diff.log" env GPT_OPS="$ops" GPT_SEED="$seed" "$bin/gpt-test" 'gpt_*' gpt_test_random
ktap_cases "differential($ops ops, seed $seed)" "$bin/diff.log"
grep -q "EXPECTATION FAILED" "$bin/diff.log" && grep -A1 "EXPECTATION FAILED" "$bin/diff.log" | head -4

run "$bin/asan.log" "$bin/gpt-test-asan"; rc=$?
ktap_cases asan+ubsan "$bin/asan.log"
if [ $rc -ne 0 ] && ! grep -q "^    not ok" "$bin/asan.log"; then
	emit "not ok" "asan+ubsan runner exited $rc (see $bin/asan.log)"
fi

run "$bin/tsan.log" env TSAN_OPTIONS=halt_on_error=1 "$bin/gpt-test-tsan" 'gpt_*' gpt_test_concurrent
rc=$?
ktap_cases tsan "$bin/tsan.log"
if [ $rc -ne 0 ] || grep -q "ThreadSanitizer" "$bin/tsan.log"; then
	emit "not ok" "tsan: data race or crash (see $bin/tsan.log)"
fi

# The RCU the concurrent cases rely on, under TSan on its own.
run "$bin/tsan-rcu.log" env TSAN_OPTIONS=halt_on_error=1 "$bin/gpt-test-tsan" shim_rcu
rc=$?
ktap_cases tsan "$bin/tsan-rcu.log"
if [ $rc -ne 0 ] || grep -q "ThreadSanitizer" "$bin/tsan-rcu.log"; then
	emit "not ok" "tsan: shim RCU data race or crash (see $bin/tsan-rcu.log)"
fi

# The hardware model: walker, IOTLB and walk caches, non-coherent memory.
run "$bin/hw.log" "$bin/gpt-hw-test"; rc=$?
ktap_cases hwmodel "$bin/hw.log"
[ $rc -eq 0 ] || grep -q "^    not ok" "$bin/hw.log" || emit "not ok" "hwmodel runner exited $rc"

# Every case under ThreadSanitizer too (fewer rounds: it runs ~10x slower).
run "$bin/hw-tsan.log" env TSAN_OPTIONS=halt_on_error=1 GPT_HW_OPS=1000 \
	"$bin/gpt-hw-test-tsan" 'gpt_hw_*'
rc=$?
ktap_cases "hwmodel tsan" "$bin/hw-tsan.log"
if [ $rc -ne 0 ] || grep -q "ThreadSanitizer" "$bin/hw-tsan.log"; then
	emit "not ok" "hwmodel tsan: data race or crash (see $bin/hw-tsan.log)"
fi

mkdir -p "$bin/fuzz-corpus"
run "$bin/fuzz.log" "$bin/gpt-fuzz" -max_total_time="$fuzz" -timeout=10 "$bin/fuzz-corpus"
if [ $? -eq 0 ]; then
	emit ok "fuzz ($(grep -o 'Done [0-9]* runs' "$bin/fuzz.log"))"
else
	emit "not ok" "fuzz found a failure (see $bin/fuzz.log)"
fi
