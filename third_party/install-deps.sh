#!/usr/bin/env bash
# install-deps.sh [--test]
#
# Installs the Debian 12 packages ext4fh needs, if any are missing: the
# build and demo set, plus with --test what the test suite and the
# benchmarks use. Runs apt-get as root, or through sudo.
set -euo pipefail

build_packages=(
	cmake make g++ pkg-config
	libext2fs-dev libfuse3-dev libboost-program-options-dev
	libgtest-dev libgmock-dev
	e2fsprogs fuse3 attr acl perl
)
test_packages=(
	util-linux procps fio stress-ng fuse2fs
	nfs-ganesha nfs-ganesha-vfs libnfs-utils libnfs-dev rpcbind
)

packages=("${build_packages[@]}")
if [[ ${1:-} == --test ]]; then
	packages+=("${test_packages[@]}")
fi

missing=()
for p in "${packages[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing+=("$p")
	fi
done
if ((${#missing[@]} == 0)); then
	exit 0
fi

as_root=()
if ((EUID != 0)); then
	as_root=(sudo)
fi
echo "install-deps.sh: installing ${missing[*]}" >&2
"${as_root[@]}" apt-get update -q
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
	apt-get install -y -q --no-install-recommends "${missing[@]}"
