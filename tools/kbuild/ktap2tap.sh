#!/bin/bash
# KTAP (a suite per subtest, as kunit.py and the userspace runner print it)
# to flat TAP lines, one per case: "ok - <stage>: <suite>.<case>".
#   ktap2tap.sh <stage> <log>
awk -v stage="$1" '
	/# Subtest: / { suite = $NF }
	/^ +(not )?ok [0-9]+ / {
		st = ($1 == "not") ? "not ok" : "ok"
		name = ($1 == "not") ? $4 : $3
		skip = ($0 ~ /# SKIP/) ? " # SKIP" : ""
		printf "%s - %s: %s.%s%s\n", st, stage, suite, name, skip
	}' "$2"
