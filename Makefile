# gpt: every entry point.
#
#   make run        boot a QEMU guest with each vIOMMU: a process's memory
#                   copied by edu DMA at its own virtual addresses, through
#                   the iommu mirror (make run-dir: the low-level report)
#   make test       every test: userspace, KUnit on UML and on QEMU x86_64,
#                   QEMU guests
#   make bench      benchmarks (userspace and KUnit on UML)
#
#   make series     the project as a git format-patch series against
#                   Debian's linux-source-6.12, in build/series/
#   make check      checkpatch, kernel-doc, sparse, Sphinx, and the series:
#                   git am, same tree as the tests', every patch builds
#
# Pieces: deps tree kernel user-test kunit kunit-qemu qemu-test qemu-hmm
# hmm-progs clean.
# Everything is built under build/ (ignored); nothing outside the repo
# except Debian packages installed by tools/kbuild/deps.sh.

TOP     := $(CURDIR)
B       := $(TOP)/build
KSRC    := $(B)/linux
RESULTS := $(B)/results
JOBS    ?= $(shell nproc)
# One kernel build at a time: the machine has two cores.
KLOCK   := flock $(B)/.kbuild.lock

export CCACHE_DIR ?= $(B)/ccache
# Paths under build/ enter ccache's hash relative to the compiler's working
# directory, so make kunit-qemu's build of the guest's .config in a second
# directory is served from the guest build's cache.
export CCACHE_BASEDIR ?= $(B)
KMAKE_CC := CC="ccache gcc" HOSTCC="ccache gcc"

.PHONY: all run test bench deps tree kernel user-test kunit qemu-test \
	check series clean user-bench kunit-bench qemu-bench qemu-mirror-bench kunit-qemu

all: test

deps:
	@$(TOP)/tools/kbuild/deps.sh

tree: deps
	@mkdir -p $(B) $(RESULTS)
	@$(TOP)/tools/kbuild/prepare-tree.sh

# ---- userspace build of lib-gpt (tools/) ----------------------------------
user-test: deps
	@mkdir -p $(RESULTS)
	@$(MAKE) -s -C tools O=$(B)/user test RESULTS=$(RESULTS)

user-bench: deps
	@$(MAKE) -s -C tools O=$(B)/user bench

# ---- KUnit: on UML, and on QEMU x86_64 with each vIOMMU ---------------------
KUNIT_RUN := $(TOP)/kunit/run-kunit.sh $(KSRC)

kunit: tree
	@mkdir -p $(RESULTS)
	@$(KUNIT_RUN) $(B)/uml kunit $(B)/uml.log $(RESULTS)/kunit.tap \
		--kunitconfig=$(TOP)/kunit/uml.kunitconfig --timeout=1200 'gpt_*'

kunit-bench: tree
	@$(KUNIT_RUN) $(B)/uml-bench kunit-bench $(B)/uml-bench.log \
		$(B)/kunit-bench.tap --kunitconfig=$(TOP)/kunit/uml-bench.kunitconfig \
		--timeout=1200 'gptbench*'
	@echo "KUnit on UML (no debug options): lib-gpt Arm LPAE vs io-pgtable-arm"
	@sed '/^---- kernel console/,$$d' $(B)/uml-bench.log | \
		grep -a 'gptbench:' | sed 's/^.*gptbench: /  /'

# kunit.py run --arch=x86_64, once per vIOMMU (kunit/qemu-<vtd|amd>.py), on
# the guest kernel's config (see kunit/qemu-x86_64.kunitconfig), in its own
# build directory: kunit.py rewrites the .config of the directory it owns.
KUNIT_X86 := $(B)/kunit-x86_64
KUNIT_QEMU_STAGES := kunit-vtd kunit-amd
KUNIT_QEMU_SUITES ?= *

kunit-qemu: kernel
	@mkdir -p $(RESULTS)
	@for v in vtd amd; do \
		$(KUNIT_RUN) $(KUNIT_X86) kunit-$$v $(B)/kunit-$$v.log \
			$(RESULTS)/kunit-$$v.tap --arch=x86_64 \
			--qemu_config=$(TOP)/kunit/qemu-$$v.py \
			--kunitconfig=$(KOBJ)/.config \
			--kunitconfig=$(TOP)/kunit/qemu-x86_64.kunitconfig \
			--kconfig_add=CONFIG_GPT_KUNIT_TEST=y \
			--timeout=900 '$(KUNIT_QEMU_SUITES)'; \
	done

# ---- QEMU guests (x86_64 kernel, initramfs, runner) -------------------------
include $(TOP)/qemu-tests/qemu.mk

# ---- top-level jobs ---------------------------------------------------------
test: deps
	@rm -rf $(RESULTS); mkdir -p $(RESULTS)
	-@$(MAKE) -s user-test
	-@$(MAKE) -s kunit
	-@$(MAKE) -s qemu-test
	-@$(MAKE) -s qemu-hmm
	-@$(MAKE) -s kunit-qemu
	@$(TOP)/tools/kbuild/summary.sh $(RESULTS) user kunit $(QEMU_STAGES) \
		$(HMM_STAGES) $(KUNIT_QEMU_STAGES)

bench: user-bench kunit-bench qemu-bench qemu-mirror-bench

# The project as a patch series against Debian's 6.12 (build/series/).
series: tree
	@$(TOP)/tools/kbuild/deps.sh check
	@$(TOP)/tools/kbuild/series.sh $(B)

check: series kernel
	@$(TOP)/tools/kbuild/check.sh $(KSRC) $(B)

clean:
	rm -rf $(B)
