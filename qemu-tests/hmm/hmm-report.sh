#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# hmm-report.sh LOG STAGE TABLE
#
# From the console log of an hmm-tests guest (plan in this folder), print a
# TAP line per hmm-tests test for the project summary and write TABLE: the
# result of each test against gpt_edu_mirror (edu DMA through the iommu
# mirror) beside its result against upstream test_hmm.
#
# The adversarial tests (mirror-adversarial) and the dma-buf tests
# (dmabuf-tests), run on edu only, are each a TAP line of their own; all
# of them must pass, and all must have run.
#
# Why the rules: the system-memory tests are what a mirroring device must
# pass, so each of them is ok only if it passed on edu.  The others need
# device memory (migration, device-private or coherent pages) or exclusive
# access, which edu has not: they count as skipped, with both results
# shown, never as passed.
set -u
log=$1 stage=$2 table=$3

system="open_close anon_read anon_read_prot anon_write anon_write_prot
anon_write_child anon_write_child_shared anon_write_huge anon_write_hugetlbfs
file_read file_write anon_read_multiple anon_teardown mixedmap compound"

tr -d '\r' < "$log" | awk -v stage="$stage" -v table="$table" -v sysnames="$system" '
BEGIN {
	what["adv"] = "adversarial"
	what["dmabuf"] = "dma-buf"
	n = split(sysnames, s, /[ \n]+/)
	for (i = 1; i <= n; i++)
		if (s[i] != "")
			sys[s[i]] = 1
}
/^gpt-init: \[hmm\] run /    { run = "edu"; next }
/^gpt-init: \[hmmref\] run / { run = "ref"; next }
/^gpt-init: \[adv\] run /    { run = "adv"; next }
/^gpt-init: \[dmabuf\] run / { run = "dmabuf"; next }
/^gpt-init: (not )?ok \[(hmm|hmmref|adv|dmabuf)\]/ { run = ""; next }
(run == "adv" || run == "dmabuf") && /^1\.\.[0-9]+/ { plan[run] = substr($0, 4) + 0; next }
(run == "adv" || run == "dmabuf") && /^(not )?ok [0-9]+ / {
	line = $0
	bad = (line ~ /^not ok/)
	sub(/^(not )?ok [0-9]+ /, "", line)
	got_n[run]++
	printf "%s - %s: %s: %s\n", bad ? "not ok" : "ok", stage, what[run], line
	next
}
run != "" && /^(not )?ok [0-9]+ hmm2?\./ {
	line = $0
	bad = (line ~ /^not ok/)
	sub(/^(not )?ok [0-9]+ /, "", line)
	name = line; sub(/ #.*/, "", name)
	verdict = bad ? "fail" : "pass"
	if (line ~ / # SKIP/)
		verdict = "skip"
	if (!(name in seen)) {
		seen[name] = 1
		order[++nt] = name
	}
	res[run, name] = verdict
	next
}
END {
	printf "%-58s %-6s %s\n", "hmm-tests (" stage "; both skipped: not shown)", "edu", "test_hmm" > table
	for (i = 1; i <= nt; i++) {
		name = order[i]
		edu = ((("edu", name) in res) ? res["edu", name] : "-")
		ref = ((("ref", name) in res) ? res["ref", name] : "-")
		if (edu != "skip" || ref != "skip")
			printf "%-58s %-6s %s\n", name, edu, ref > table
		split(name, p, ".")
		test = p[3]
		if (p[2] == "hmm_device_private" && (test in sys)) {
			got[test] = 1
			if (edu == "pass")
				printf "ok - %s: hmm-tests: %s (test_hmm: %s)\n", stage, test, ref
			else
				printf "not ok - %s: hmm-tests: %s: %s on edu (test_hmm: %s)\n", stage, test, edu, ref
		} else {
			why = "needs device-private memory or exclusive access"
			if (p[2] ~ /coherent/)
				why = "needs device-coherent memory (no /dev/hmm_dmirror2, 3 here)"
			else if (test == "hmm_gup_test")
				why = "needs device-private memory and the gup_test driver"
			printf "ok - %s: hmm-tests: %s # SKIP %s (edu: %s, test_hmm: %s)\n", stage, name, why, edu, ref
		}
	}
	for (r in what) {
		if (plan[r] == 0)
			printf "not ok - %s: %s: the tests did not run\n", stage, what[r]
		else if (got_n[r] != plan[r])
			printf "not ok - %s: %s: %d of %d results, the run stopped early\n", stage, what[r], got_n[r], plan[r]
	}
	for (t in sys)
		if (!(t in got))
			printf "not ok - %s: hmm-tests: %s did not run on edu\n", stage, t
}'
