# SPDX-License-Identifier: GPL-2.0
#
# QEMU guest tests, included by the top-level Makefile (which defines TOP,
# B, KSRC, RESULTS, JOBS, KLOCK and KMAKE_CC).
#
# Why guests at all: KUnit on UML has no IOMMU.  The only way to see a real
# DMA master go through page tables we wrote is an emulated IOMMU walking
# them on behalf of an emulated device, so we boot an x86_64 kernel on q35
# once with Intel VT-d and once with AMD-Vi, and let QEMU's edu device move
# bytes through an IOMMU domain our test module owns.
#
# Why it is shaped like this:
#  - one small kernel (tinyconfig + a checked fragment) serves both guests,
#    so a cold build stays within minutes on two cores;
#  - every kernel build, out-of-tree modules included, goes through $(KLOCK):
#    the machine has two cores and the UML KUnit build shares them;
#  - module objects go to $(B)/qemu-modules (sources are symlinked there), so
#    the repository never holds build output;
#  - the runner always writes a TAP file, even when the guest never booted,
#    so the summary can tell "failed" from "did not run".
#
# Targets: kernel, qemu-modules, initramfs, qemu-guests, qemu-test, run,
# qemu-break, and kernel-bench (the benchmark guests' kernel, below).

QEMU_STAGES := qemu-vtd qemu-vtd-cm qemu-amd

QT        := $(TOP)/qemu-tests
KOBJ      := $(B)/x86_64
BZIMAGE   := $(KOBJ)/arch/x86/boot/bzImage
KMAKE_X86  = $(MAKE) -C $(KSRC) O=$(KOBJ) ARCH=x86_64 $(KMAKE_CC)
QMOD      := $(B)/qemu-modules
INITRAMFS := $(B)/qemu-initramfs.cpio.gz
# Out-of-tree test modules: one folder each under qemu-tests/, holding a
# Kbuild file and its sources.  Add a folder here to add a module.
QEMU_MODULE_DIRS := edu ab
# edu's Kbuild is also drivers/misc/gpt_edu/ of the patch series, where
# these are Kconfig symbols; out of tree the runner sets them.
QEMU_MODULE_SYMS := CONFIG_GPT_EDU_TESTS=m CONFIG_GPT_EDU_MIRROR=m
# Guest test programs (static executables) copied into the initramfs and
# run after the modules, in name order; none yet.
QEMU_PROGRAMS ?=
# Boot+test budget per guest (seconds of wall time); a good run takes ~15 s.
QEMU_TIMEOUT ?= 120

.PHONY: qemu-modules initramfs qemu-guests qemu-break run-dir

kernel: tree
	@mkdir -p $(KOBJ)
	@$(KLOCK) $(QT)/kconfig.sh $(KSRC) $(KOBJ) $(QT)/x86_64.config -- $(KMAKE_X86)
	@echo "kernel: building $(BZIMAGE) (waits for the build lock)"
	@$(KLOCK) $(KMAKE_X86) -s -j$(JOBS)
	@echo "kernel: $(BZIMAGE) ready"

# $(call build_modules,<kernel make command>,<module output folder>)
build_modules = \
	mkdir -p $(2); \
	set -e; for d in $(QEMU_MODULE_DIRS); do \
		mkdir -p $(2)/$$d; \
		find $(2)/$$d -maxdepth 1 -type l ! -exec test -e {} \; -delete; \
		for f in $(QT)/$$d/Kbuild $(QT)/$$d/*.c $(QT)/$$d/*.h; do \
			[ -e "$$f" ] && ln -sfn "$$f" $(2)/$$d/; \
		done; \
		$(KLOCK) $(1) -s -j$(JOBS) W=1 C=1 M=$(2)/$$d \
			$(QEMU_MODULE_SYMS) modules; \
	done

qemu-modules: kernel
	@$(call build_modules,$(KMAKE_X86),$(QMOD))

# ---- the benchmark guests' kernel -------------------------------------------
# make bench's guests count guest instructions, and KASAN's checks on every
# access, lockdep's on every lock and KASAN's stack trace on every slab
# allocation (some 36,000 guest instructions each) would be most of what
# they count.  So they boot the same kernel without those debug options:
# x86_64.config less its KASAN, lockdep and list/sleep checking lines.
KOBJ_BENCH      := $(B)/x86_64-bench
BZIMAGE_BENCH   := $(KOBJ_BENCH)/arch/x86/boot/bzImage
KMAKE_BENCH      = $(MAKE) -C $(KSRC) O=$(KOBJ_BENCH) ARCH=x86_64 $(KMAKE_CC)
QMOD_BENCH      := $(B)/qemu-modules-bench
BENCH_FRAGMENT  := $(B)/x86_64-bench.config
BENCH_DEBUG_RE  := ^CONFIG_(KASAN|KASAN_GENERIC|KASAN_INLINE|PROVE_LOCKING|DEBUG_ATOMIC_SLEEP|DEBUG_LIST)=
.PHONY: kernel-bench qemu-modules-bench

$(BENCH_FRAGMENT): $(QT)/x86_64.config
	@mkdir -p $(B)
	@grep -vE '$(BENCH_DEBUG_RE)' $< > $@

kernel-bench: tree $(BENCH_FRAGMENT)
	@mkdir -p $(KOBJ_BENCH)
	@$(KLOCK) $(QT)/kconfig.sh $(KSRC) $(KOBJ_BENCH) $(BENCH_FRAGMENT) -- $(KMAKE_BENCH)
	@echo "kernel-bench: building $(BZIMAGE_BENCH) (waits for the build lock)"
	@$(KLOCK) $(KMAKE_BENCH) -s -j$(JOBS)
	@! grep -qE '$(BENCH_DEBUG_RE)y' $(KOBJ_BENCH)/.config || \
		{ echo "kernel-bench: a debug option is still on"; false; }

qemu-modules-bench: kernel-bench
	@$(call build_modules,$(KMAKE_BENCH),$(QMOD_BENCH))

initramfs: qemu-modules
	@$(QT)/mkinitramfs.sh $(INITRAMFS) $(QT)/plan $(KOBJ)/usr/gen_init_cpio \
		$(foreach d,$(QEMU_MODULE_DIRS),$(QMOD)/$(d)/*.ko) $(QEMU_PROGRAMS)

# One guest per vIOMMU: log in $(B)/qemu-<vtd|amd>.log, TAP in $(RESULTS).
qemu_guest = $(QT)/run-qemu.sh run $(1) $(BZIMAGE) $(INITRAMFS) \
	$(B)/qemu-$(1).log $(RESULTS)/qemu-$(1).tap qemu-$(1) $(QEMU_TIMEOUT)

# Build, then boot both guests.  A guest that cannot be prepared still
# leaves a failing TAP line per stage.
qemu-guests: tree
	@mkdir -p $(RESULTS)
	@if $(MAKE) -s initramfs; then \
		$(call qemu_guest,vtd); \
		$(call qemu_guest,vtd-cm); \
		$(call qemu_guest,amd); \
	else \
		for s in $(QEMU_STAGES); do \
			echo "not ok - $$s: guest kernel, modules or initramfs failed to build" \
				> $(RESULTS)/$$s.tap; \
			rm -f $(B)/$$s.log; \
		done; \
	fi; true

qemu-test: qemu-guests
	@cat $(foreach s,$(QEMU_STAGES),$(RESULTS)/$(s).tap)
	@! grep -qh '^not ok' $(foreach s,$(QEMU_STAGES),$(RESULTS)/$(s).tap)

# The low-level report (make run before the mirror): both guests, what the
# edu modules did through driver-owned domains in words, one verdict per
# vIOMMU.
run-dir: qemu-guests
	@for i in vtd amd; do \
		$(QT)/run-qemu.sh report $$i $(B)/qemu-$$i.log \
			$(RESULTS)/qemu-$$i.tap qemu-$$i; \
	done
	@$(QT)/run-qemu.sh verdict $(RESULTS) $(QEMU_STAGES)

# The negative control on its own, for a human to watch: only the
# break_mapping run of the plan, on VT-d.  Its results go to $(B)/, not to
# $(RESULTS), because failing is what it is for.
qemu-break: initramfs
	-@$(QT)/run-qemu.sh run vtd $(BZIMAGE) $(INITRAMFS) $(B)/qemu-break.log \
		$(B)/qemu-break.tap qemu-break $(QEMU_TIMEOUT) gpt.only=break
	@sed -e 's/\r$$//' -e 's/^\[ *[0-9.]*\] //' $(B)/qemu-break.log | \
		sed -n '/^# Subtest: gpt_edu_smoke/,/^# gpt_edu_smoke.*total:/p' | \
		grep -v '^# map IOVA\|^# break_mapping: IOVA'
	@cat $(B)/qemu-break.tap

# The A/B figures for "make bench": each guest (on the benchmark kernel)
# runs only the gpt_ab module; its TAP is not a test result here (make test
# runs it too, on the test kernel), only the "# ab:" lines are printed.
INITRAMFS_BENCH := $(B)/qemu-bench-initramfs.cpio.gz

qemu-bench: qemu-modules-bench
	@$(QT)/mkinitramfs.sh $(INITRAMFS_BENCH) $(QT)/plan \
		$(KOBJ_BENCH)/usr/gen_init_cpio \
		$(foreach d,$(QEMU_MODULE_DIRS),$(QMOD_BENCH)/$(d)/*.ko)
	@for v in vtd amd; do \
		$(QT)/run-qemu.sh run $$v $(BZIMAGE_BENCH) $(INITRAMFS_BENCH) $(B)/qemu-ab-$$v.log \
			$(B)/qemu-ab-$$v.tap qemu-ab-$$v $(QEMU_TIMEOUT) gpt.only=ab \
			>/dev/null 2>&1; \
		echo "A/B in the $$v guest (benchmark kernel, QEMU TCG, -icount: compare ratios):"; \
		sed -e 's/\r$$//' -e 's/^\[ *[0-9.]*\] //' $(B)/qemu-ab-$$v.log | \
			grep -a '^# ab: \|^\(not \)\?ok [0-9]* same_' | sed 's/^/  /'; \
	done

# ---- hmm-tests on real DMA (make qemu-hmm) ----------------------------------
# The upstream hmm-tests against gpt_edu_mirror (edu DMA through the iommu
# mirror), our adversarial tests, the dma-buf exporter's tests (one edu
# imports what the process exports), and, in the same guest, hmm-tests
# against upstream test_hmm.  Two edu devices, each in its own IOMMU group, as
# /dev/hmm_dmirror0 and 1; page_poison=1 so that a device write into a
# freed page is reported ("pagealloc: memory corruption" is a splat);
# kunit.enable=0 because the built-in suites already ran in make qemu-test.
HMM_INITRAMFS := $(B)/qemu-hmm-initramfs.cpio.gz
# The guest programs are the iommu_mirror selftests (qemu-tests/hmm, linked
# into the tree as tools/testing/selftests/iommu_mirror), built the way
# kselftests are.
HMM_PROGS     := $(B)/selftests/kselftest/iommu_mirror
HMM_TESTS     := $(HMM_PROGS)/hmm-tests-edu
HMM_ADV       := $(HMM_PROGS)/mirror-adversarial
HMM_DEMO      := $(HMM_PROGS)/svm-demo
HMM_FORK      := $(HMM_PROGS)/mirror-fork-bench
HMM_DMABUF    := $(HMM_PROGS)/dmabuf-tests
HMM_STAGES    := qemu-hmm-vtd qemu-hmm-amd
HMM_TIMEOUT   ?= 1800
HMM_EDU       := -device edu,dma_mask=0xffffffffffffffff
.PHONY: hmm-initramfs qemu-hmm qemu-mirror-bench

.PHONY: hmm-progs
hmm-progs: tree
	@$(MAKE) -s -C $(KSRC)/tools/testing/selftests TARGETS=iommu_mirror \
		O=$(B)/selftests

hmm-initramfs: qemu-modules
	@$(MAKE) -s hmm-progs
	@$(QT)/mkinitramfs.sh $(HMM_INITRAMFS) $(QT)/hmm/plan $(KOBJ)/usr/gen_init_cpio \
		$(QMOD)/edu/gpt_edu_mirror.ko $(KOBJ)/lib/test_hmm.ko $(HMM_TESTS) \
		$(HMM_ADV) $(HMM_DEMO) $(HMM_DMABUF)

qemu-hmm: tree
	@mkdir -p $(RESULTS)
	@if $(MAKE) -s hmm-initramfs; then \
		for v in vtd amd; do \
			GPT_QEMU_EXTRA="$(HMM_EDU)" GPT_QEMU_PROGRAMS_ONLY=1 \
				$(QT)/run-qemu.sh run $$v $(BZIMAGE) \
				$(HMM_INITRAMFS) $(B)/qemu-hmm-$$v.log \
				$(RESULTS)/qemu-hmm-$$v.tap qemu-hmm-$$v $(HMM_TIMEOUT) \
				"page_poison=1 kunit.enable=0"; \
			$(QT)/hmm/hmm-report.sh $(B)/qemu-hmm-$$v.log qemu-hmm-$$v \
				$(B)/qemu-hmm-$$v.table >> $(RESULTS)/qemu-hmm-$$v.tap; \
			cat $(B)/qemu-hmm-$$v.table; \
		done; \
	else \
		for s in $(HMM_STAGES); do \
			echo "not ok - $$s: kernel, modules, test programs or initramfs failed to build" \
				> $(RESULTS)/$$s.tap; \
		done; \
	fi
	@cat $(foreach s,$(HMM_STAGES),$(RESULTS)/$(s).tap)
	@! grep -qh '^not ok' $(foreach s,$(HMM_STAGES),$(RESULTS)/$(s).tap)

# make run: the demo alone, in a guest per vIOMMU (the hmm-tests guest,
# narrowed to it), what it printed, and a verdict that also counts the
# guest's own checks (no splat, no page-poison corruption, IOMMU up).
DEMO_GUESTS := vtd vtd-cm amd

run: tree
	@$(MAKE) -s hmm-initramfs
	@ok=1; for v in $(DEMO_GUESTS); do \
		GPT_QEMU_EXTRA="$(HMM_EDU)" GPT_QEMU_PROGRAMS_ONLY=1 \
			$(QT)/run-qemu.sh run $$v $(BZIMAGE) $(HMM_INITRAMFS) \
			$(B)/demo-$$v.log $(B)/demo-$$v.tap demo-$$v 600 \
			"page_poison=1 kunit.enable=0 gpt.only=mirror,demo" > /dev/null; \
		case $$v in vtd) t="Intel VT-d" ;; vtd-cm) t="Intel VT-d, caching mode" ;; \
			amd) t="AMD-Vi" ;; esac; \
		echo "== $$t: shared virtual memory with QEMU's edu DMA engine"; \
		sed -e 's/\r$$//' -e 's/^\[ *[0-9.]*\] //' $(B)/demo-$$v.log | \
			grep -a '^demo: \|^verdict: ' | sed -e 's/^demo: /  /' -e 's/^verdict: /  demo verdict: /'; \
		if grep -q '^not ok' $(B)/demo-$$v.tap || \
		   ! grep -aq '^verdict: PASS' $(B)/demo-$$v.log; then \
			ok=0; grep -h '^not ok' $(B)/demo-$$v.tap | sed 's/^/  /'; \
			echo "  verdict: FAIL (log: $(B)/demo-$$v.log)"; \
		else \
			echo "  verdict: PASS (guest clean: no splat, no page-poison corruption)"; \
		fi; \
	done; [ $$ok = 1 ]

# make bench's mirror rows: gpt_mirror_bench in a guest per vIOMMU, then
# mirror-fork-bench against gpt_edu_mirror and against test_hmm; their
# "# mbench:" lines are the figures (guest instructions: compare ratios)
# and one met / not met line per target.
MBENCH_INITRAMFS := $(B)/qemu-mbench-initramfs.cpio.gz

qemu-mirror-bench: qemu-modules-bench
	@$(MAKE) -s hmm-progs
	@$(QT)/mkinitramfs.sh $(MBENCH_INITRAMFS) $(QT)/hmm/bench-plan \
		$(KOBJ_BENCH)/usr/gen_init_cpio $(QMOD_BENCH)/edu/gpt_mirror_bench.ko \
		$(QMOD_BENCH)/edu/gpt_edu_mirror.ko $(KOBJ_BENCH)/lib/test_hmm.ko $(HMM_FORK)
	@for v in vtd amd; do \
		GPT_QEMU_PROGRAMS_ONLY=1 $(QT)/run-qemu.sh run $$v $(BZIMAGE_BENCH) \
			$(MBENCH_INITRAMFS) $(B)/qemu-mbench-$$v.log \
			$(B)/qemu-mbench-$$v.tap qemu-mbench-$$v 900 kunit.enable=0 \
			>/dev/null 2>&1; \
		echo "iommu mirror in the $$v guest (benchmark kernel, QEMU TCG, -icount: compare ratios):"; \
		sed -e 's/\r$$//' -e 's/^\[ *[0-9.]*\] //' $(B)/qemu-mbench-$$v.log | \
			grep -a '^# mbench: ' | sed 's/^# mbench: /  /'; \
	done
