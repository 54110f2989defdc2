# SPDX-License-Identifier: GPL-2.0
#
# kunit.py --qemu_config: the x86_64 KUnit kernel on a q35 machine with an
# AMD-Vi unit in front of QEMU's edu device, the same machine as the
# VT-d test guest (qemu-tests/run-qemu.sh), so the suites that need a real
# IOMMU driver domain (iommu_dir, amd_v2_gpt) get one.
#
# kunit.py loads this file as if it lived in its own qemu_configs/ folder,
# hence the relative import.

from ..qemu_config import QemuArchParams

QEMU_ARCH = QemuArchParams(linux_arch='x86_64',
			   # The kernel's .config comes from the guest's (see
			   # qemu-x86_64.kunitconfig): nothing to add here.
			   kconfig='',
			   qemu_arch='x86_64',
			   kernel_path='arch/x86/boot/bzImage',
			   kernel_command_line='console=ttyS0',
			   extra_qemu_params=['-machine', 'q35,kernel-irqchip=split',
					      '-accel', 'tcg', '-smp', '2',
					      '-device', 'amd-iommu,intremap=on',
					      '-device', 'edu,dma_mask=0xffffffffffffffff'])
