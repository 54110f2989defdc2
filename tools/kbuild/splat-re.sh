# SPDX-License-Identifier: GPL-2.0
# Sourced by the runners that read kernel consoles (qemu-tests/run-qemu.sh,
# kunit/run-kunit.sh): a line matching SPLAT_RE (grep -E) is a kernel splat
# and fails the run even if every test passed.
SPLAT_RE='Oops|BUG:|WARNING:|KASAN|UBSAN|general protection fault|kernel BUG|'
SPLAT_RE+='possible circular locking|inconsistent lock state|possible recursive locking|'
SPLAT_RE+='DEBUG_LOCKS_WARN_ON|lockdep is turned off|suspicious RCU usage|'
SPLAT_RE+='scheduling while atomic|sleeping function called from invalid context|'
SPLAT_RE+='self-detected stall|detected stalls|RCU stall|blocked for more than|'
SPLAT_RE+='list_add corruption|list_del corruption|Kernel panic|Call Trace:|'
# page_poison=1: a device write into a page after it was freed
SPLAT_RE+='pagealloc: memory corruption'
