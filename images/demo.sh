#!/usr/bin/env bash
# demo.sh [BUILD_DIR]
#
# Builds the demo image, mounts it with ext4fh (the keeper goes to the
# background and holds the connection), shows it working, then unmounts
# and checks the image with e2fsck. BUILD_DIR (default: build) holds the
# ext4fh binary; the image and the mountpoint go there too.
#
# Works as root, and as any other user: then ext4fh mounts through
# fusermount3 (package fuse3), which needs /dev/fuse readable and writable
# by the user (mode 0666, as Debian's udev rules set it) and a BUILD_DIR
# the user may write to. The demo image belongs to whoever built it
# (make-image.sh demo), so an image left by another user is rebuilt.
set -euo pipefail

build=$(cd "${1:-build}" && pwd -P)
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
image=$build/demo.img
mnt=$build/demo-mnt
PATH=$PATH:/usr/sbin:/sbin

die() { printf 'demo.sh: %s\n' "$*" >&2; exit 1; }

unmount() {
	if grep -qs " $mnt " /proc/mounts; then
		fusermount3 -u "$mnt" 2>/dev/null || fusermount3 -u -z "$mnt" || true
	fi
}
trap unmount EXIT

step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@"; }

[[ -x $build/ext4fh ]] || die "no ext4fh in $build (build it first)"
command -v fusermount3 >/dev/null || die "fusermount3 not found (package fuse3)"
if [[ ! -f $image || ! -O $image ]]; then
	"$here/make-image.sh" demo "$image"
fi
mkdir -p "$mnt"
step "$build/ext4fh" "$image" "$mnt"
step grep " $mnt " /proc/mounts
step ls -la "$mnt"
step cat "$mnt/README.txt"
step df -h "$mnt"
step stat "$mnt/hello.sh"
step getfattr -d "$mnt/notes.txt"
step sh -c "echo 'written through ext4fh' > '$mnt/note.txt' && cat '$mnt/note.txt'"
step "$build/ext4fh" ctl status "$mnt" || true
step fusermount3 -u "$mnt"
# The keeper flushes and exits once it sees the unmount.
for _ in $(seq 100); do
	pgrep -f "ext4fh $image" >/dev/null || break
	sleep 0.1
done
step e2fsck -fn "$image"
