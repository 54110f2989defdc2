/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the guest test programs need that the build machine's libc headers
 * may not name yet: numbers from the kernel's uapi.
 */
#ifndef _GPT_GUEST_COMPAT_H
#define _GPT_GUEST_COMPAT_H

#ifndef MADV_SOFT_OFFLINE
#define MADV_SOFT_OFFLINE 101	/* uapi asm-generic/mman-common.h */
#endif
#ifndef __NR_pidfd_open
#define __NR_pidfd_open 434
#endif
#ifndef __NR_pidfd_getfd
#define __NR_pidfd_getfd 438
#endif

#endif /* _GPT_GUEST_COMPAT_H */
