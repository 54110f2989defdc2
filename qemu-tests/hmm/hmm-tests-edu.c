// SPDX-License-Identifier: GPL-2.0
/*
 * The upstream hmm-tests (tools/testing/selftests/mm/hmm-tests.c),
 * compiled unmodified, with one harness setting raised: the per-test
 * timeout.  The harness gives each test 30 s of guest time; QEMU's edu
 * finishes a transfer of at most 4 KiB every 100 ms of guest time, so the
 * 4 MiB buffers of hmm-tests take minutes of guest time on a device that
 * really DMAs (test_hmm's CPU copy takes milliseconds).  Nothing else of
 * the tests or of the harness changes.
 */
#include "kselftest_harness.h"
#undef TEST_TIMEOUT_DEFAULT
#define TEST_TIMEOUT_DEFAULT 3600
#include "mm/hmm-tests.c"
