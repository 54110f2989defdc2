# gpt: every entry point.
#
#   make run        boot a QEMU guest with each vIOMMU and show device DMA
#                   through an IOMMU domain set up by our code
#   make test       every test: userspace, KUnit on UML, QEMU guests
#   make bench      benchmarks (userspace and KUnit on UML)
#
# Pieces: deps tree kernel uml user-test kunit qemu-test check clean.
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
KMAKE_CC := CC="ccache gcc" HOSTCC="ccache gcc"

.PHONY: all run test bench deps tree kernel uml user-test kunit qemu-test \
	check clean user-bench kunit-bench qemu-bench

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

# ---- KUnit on UML -----------------------------------------------------------
KUNIT_PY := $(KSRC)/tools/testing/kunit/kunit.py

kunit: tree
	@mkdir -p $(RESULTS)
	@$(TOP)/kunit/run-uml.sh $(KSRC) $(B)/uml $(TOP)/kunit/uml.kunitconfig \
		$(RESULTS)/kunit.tap 'gpt_*'

kunit-bench: tree
	@$(TOP)/kunit/run-uml.sh $(KSRC) $(B)/uml-bench \
		$(TOP)/kunit/uml-bench.kunitconfig $(B)/kunit-bench.tap 'gptbench*'
	@echo "KUnit on UML (no debug options): lib-gpt Arm LPAE vs io-pgtable-arm"
	@grep -h 'gptbench:' $(B)/uml-bench.log | sed 's/^.*gptbench: /  /'

# ---- QEMU guests (x86_64 kernel, initramfs, runner) -------------------------
include $(TOP)/qemu-tests/qemu.mk

# ---- top-level jobs ---------------------------------------------------------
test: deps
	@rm -rf $(RESULTS); mkdir -p $(RESULTS)
	-@$(MAKE) -s user-test
	-@$(MAKE) -s kunit
	-@$(MAKE) -s qemu-test
	@$(TOP)/tools/kbuild/summary.sh $(RESULTS) user kunit $(QEMU_STAGES)

bench: user-bench kunit-bench qemu-bench

check: tree
	@$(TOP)/tools/kbuild/check.sh $(KSRC) $(B)

clean:
	rm -rf $(B)
