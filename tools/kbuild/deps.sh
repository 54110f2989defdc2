#!/bin/bash
# Install what the build and the tests need from Debian's archive, once;
# "deps.sh check" adds what make check and make series need (Sphinx for
# the kernel's documentation build, git for the series).
# Only packages that are missing are installed; apt-get update runs only
# when something is missing.
set -euo pipefail

# No liburcu: the userspace harness's RCU is tools/shim/shim.c's, see there.
pkgs="linux-source-6.12 qemu-system-x86 busybox-static build-essential flex
bison bc libelf-dev libssl-dev cpio sparse ccache kmod python3
clang libclang-rt-14-dev perl xz-utils"
if [ "${1:-}" = check ]; then
	pkgs="$pkgs git python3-sphinx python3-sphinx-rtd-theme python3-yaml"
fi

missing=
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0

echo "deps: installing$missing"
sudo=
[ "$(id -u)" = 0 ] || sudo=sudo
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
# shellcheck disable=SC2086
$sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null
