#!/bin/bash
# Fold every stage's flat TAP result file (build/results/*.tap) into one
# closing line "N passed, M failed, K skipped"; exit non-zero on any failure
# or when a stage that should have run left no results.
set -u
dir=${1:-build/results}
shift || true
pass=0 fail=0 skip=0
for stage in "$@"; do
	if [ ! -s "$dir/$stage.tap" ]; then
		echo "not ok - $stage: produced no results"
		fail=$((fail + 1))
	fi
done
for f in "$dir"/*.tap; do
	[ -e "$f" ] || continue
	while IFS= read -r line; do
		case "$line" in
		"not ok"*"# SKIP"*|"ok"*"# SKIP"*) skip=$((skip + 1)) ;;
		"not ok"*) fail=$((fail + 1)); echo "$line" ;;
		"ok"*) pass=$((pass + 1)) ;;
		esac
	done < "$f"
done
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
