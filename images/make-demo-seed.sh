#!/usr/bin/env bash
# make-demo-seed.sh DIR
#
# Build the small, friendly seed tree of the "demo" image in DIR (which
# must not exist or be empty): a README.txt, a few directories, text files,
# a script, a symlink and one xattr.  Deterministic, like make-seed.sh.
set -euo pipefail
export LC_ALL=C TZ=UTC
umask 022

die() { printf 'make-demo-seed.sh: %s\n' "$*" >&2; exit 1; }

check_dir() {
	if [[ -e $1 ]]; then
		[[ -d $1 ]] || die "$1 exists and is not a directory"
		[[ -z $(ls -A "$1") ]] || die "$1 is not empty"
	fi
	mkdir -p "$1"
}

mk_readme() {
	cat >README.txt <<'EOF'
Welcome to ext4fh!

This is a small ext4 image served by ext4fh, a FUSE server for
ext2/ext3/ext4 images.  Everything you see here is read straight
from the image file through libext2fs.

Things to try:

  ls -l                      list this directory
  cat docs/guide.md          read a file
  ls -l latest               a symbolic link
  getfattr -d notes.txt      extended attributes
  stat photos/sunset.ppm     sizes, times and modes
  ./hello.sh                 a tiny shell script (mode 0755)

The image was built by images/make-image.sh demo; it is byte-for-byte
reproducible.
EOF
}

mk_docs() {
	mkdir docs
	cat >docs/guide.md <<'EOF'
# ext4fh demo guide

1. Mount the image with ext4fh.
2. Browse it like any other directory.
3. Unmount it with `fusermount3 -u MOUNTPOINT`.
EOF
	printf 'ext4fh demo notes\n' >notes.txt
	setfattr -n user.comment -v 'hello from an xattr' notes.txt
	ln -s docs/guide.md latest
}

mk_src() {
	mkdir src
	cat >src/hello.c <<'EOF'
#include <stdio.h>

int main(void)
{
	puts("hello from the ext4fh demo image");
	return 0;
}
EOF
	printf '#!/bin/sh\necho "hello from the ext4fh demo image"\n' >hello.sh
	chmod 0755 hello.sh
}

# A 64x32 colour gradient as a binary PPM (about 6 KiB).
mk_photos() {
	mkdir photos
	perl -e 'binmode STDOUT; print "P6\n64 32\n255\n";
		for my $y (0 .. 31) { for my $x (0 .. 63) {
			print pack("C3", $x * 4, $y * 8, 255 - $x * 2);
		} }' >photos/sunset.ppm
	mkdir music
}

stamp_all() {
	local i=0 p t
	while IFS= read -r -d '' p; do
		printf -v t '%d.%09d' $((1700000000 + i * 86400)) $((i * 111111111 % 1000000000))
		touch -h -d "@$t" "$p"
		i=$((i + 1))
	done < <(find . -print0 | sort -z)
}

main() {
	(($# == 1)) || { printf 'usage: %s DIR\n' "${0##*/}" >&2; exit 2; }
	check_dir "$1"
	cd "$1"
	mk_readme
	mk_docs
	mk_src
	mk_photos
	stamp_all
}

main "$@"
