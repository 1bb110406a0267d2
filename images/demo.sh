#!/usr/bin/env bash
# demo.sh [BUILD_DIR]
#
# Builds the demo image, mounts it with ext4fh (the keeper goes to the
# background and holds the connection), shows it working, then unmounts
# and checks the image with e2fsck. Works as root or as a user who may use
# fusermount3.
set -euo pipefail

build=$(cd "${1:-build}" && pwd -P)
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
image=$build/demo.img
mnt=$build/demo-mnt
PATH=$PATH:/usr/sbin:/sbin

unmount() {
	if grep -qs " $mnt " /proc/mounts; then
		fusermount3 -u "$mnt" 2>/dev/null || fusermount3 -u -z "$mnt" || true
	fi
}
trap unmount EXIT

step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@"; }

[[ -f $image ]] || "$here/make-image.sh" demo "$image"
mkdir -p "$mnt"
step "$build/ext4fh" "$image" "$mnt"
step grep " $mnt " /proc/mounts
step ls -la "$mnt"
step cat "$mnt/README.txt"
step df -h "$mnt"
step stat "$mnt/hello.sh"
step getfattr -d "$mnt/README.txt"
step sh -c "echo 'written through ext4fh' > '$mnt/note.txt' && cat '$mnt/note.txt'"
step "$build/ext4fh" ctl status "$mnt" || true
step fusermount3 -u "$mnt"
# The keeper flushes and exits once it sees the unmount.
for _ in $(seq 100); do
	pgrep -f "ext4fh $image" >/dev/null || break
	sleep 0.1
done
step e2fsck -fn "$image"
