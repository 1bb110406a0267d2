#!/usr/bin/env bash
# make-image.sh KIND OUT | --list
#
# Build a byte-for-byte deterministic ext2/3/4 test image OUT of the given
# KIND from a fresh seed tree (make-seed.sh, or make-demo-seed.sh for
# "demo") built in a temporary directory that is removed on exit.
#
#   make-seed.sh  ->  record seed times and sizes  ->  mke2fs -d SEED  ->
#   e2fsck -fyD (builds the htree index of big/)  ->  debugfs fix-ups
#   (fixup-image.pl: nanosecond atime/mtime, ctime := mtime, i_size,
#   s_kbytes_written := 0)  ->  e2fsck -fn (must exit 0)  ->
#   verify-image.sh  ->  move to OUT
#
# All clocks are pinned (E2FSPROGS_FAKE_TIME, E2FSCK_TIME), UUID and
# htree hash seed are fixed per kind, and mke2fs reads images/mke2fs.conf
# instead of /etc/mke2fs.conf.  See images/README.md.  Must run as root,
# except for "demo", which any user can build (and then owns).
set -euo pipefail
export LC_ALL=C TZ=UTC

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
KINDS=(ext2 ext3 ext4 ext4-inline demo)
# 2023-11-14T22:13:20Z: superblock times, crtime, lost+found, journal inode.
FAKE_TIME=1700000000
export E2FSPROGS_FAKE_TIME=$FAKE_TIME E2FSCK_TIME=$FAKE_TIME
export MKE2FS_CONFIG=$HERE/mke2fs.conf
export E2FSCK_CONFIG=/dev/null
unset MKE2FS_SYNC MKE2FS_DEVICE_SECTSIZE MKE2FS_DEVICE_PHYS_SECTSIZE \
	MKE2FS_FIRST_META_BG E2FSPROGS_LIBMAGIC_SUPPRESS

WORK=
PARTIAL=

die() { printf 'make-image.sh: %s\n' "$*" >&2; exit 1; }

usage() {
	printf 'usage: %s KIND OUT\n       %s --list\nkinds: %s\n' \
		"${0##*/}" "${0##*/}" "${KINDS[*]}" >&2
	exit 2
}

cleanup() {
	if [[ -n $WORK ]]; then
		rm -rf -- "$WORK"
	fi
	if [[ -n $PARTIAL ]]; then
		rm -f -- "$PARTIAL"
	fi
}

# kind_params KIND: set the mke2fs parameters of KIND.
kind_params() {
	SEED_BS=4096 SIZE=64M SEEDER=make-seed.sh ROOT_OWNER=0:0
	MKFS=(-N 32768)
	case $1 in
	ext2)
		FSTYPE=ext2 SEED_BS=1024 UUID=e4f50002-0000-4000-8000-000000000002
		MKFS=(-b 1024 -I 256 -N 32768)
		;;
	ext3) FSTYPE=ext3 UUID=e4f50003-0000-4000-8000-000000000003 ;;
	ext4) FSTYPE=ext4 UUID=e4f50004-0000-4000-8000-000000000004 ;;
	ext4-inline)
		FSTYPE=ext4 UUID=e4f50005-0000-4000-8000-000000000005
		MKFS+=(-O 'inline_data,metadata_csum,64bit')
		;;
	demo)
		FSTYPE=ext4 UUID=e4f50006-0000-4000-8000-000000000006
		SIZE=32M SEEDER=make-demo-seed.sh MKFS=()
		# The demo belongs to whoever builds it: mke2fs -d copies the
		# seed's owners (the builder), and the root directory gets the
		# builder too, so a user can write anywhere in their own demo.
		ROOT_OWNER=$(id -u):$(id -g)
		;;
	*) die "unknown kind: $1 (try --list)" ;;
	esac
	[[ $FSTYPE == ext2 ]] || MKFS+=(-b 4096)
	HASH_SEED=${UUID/e4f5/a5a5}
	LABEL=ext4fh-${1/ext4-inline/inline}
}

build_seed() {
	if [[ $SEEDER == make-seed.sh ]]; then
		"$HERE/make-seed.sh" --blocksize "$SEED_BS" "$WORK/seed"
	else
		"$HERE/$SEEDER" "$WORK/seed"
	fi
}

# Record the seed's atime/mtime/size before anything (mke2fs) reads the
# seed: reading a directory or file may update its atime.
record_times() {
	perl "$HERE/fixup-image.pl" manifest "$WORK/seed" >"$WORK/seed.manifest"
}

# Restore nanosecond atime/mtime and epoch bits, set ctime := mtime, and
# restore regular files' sizes, by inode number (see fixup-image.pl).
fixup() {
	perl "$HERE/fixup-image.pl" ls "$WORK/seed.manifest" >"$WORK/ls.cmd"
	run_debugfs "$WORK/ls.cmd"
	perl "$HERE/fixup-image.pl" sif "$WORK/seed.manifest" "$WORK/debugfs.out" \
		>"$WORK/sif.cmd"
	run_debugfs "$WORK/sif.cmd" -w
}

make_fs() {
	truncate -s "$SIZE" "$WORK/img"
	mke2fs -q -F -t "$FSTYPE" "${MKFS[@]}" -L "$LABEL" -U "$UUID" \
		-E "hash_seed=$HASH_SEED,root_owner=$ROOT_OWNER" -d "$WORK/seed" "$WORK/img"
}

# run_debugfs CMDFILE [-w]: run debugfs commands, output in
# $WORK/debugfs.out; any error message fails.
run_debugfs() {
	debugfs "${@:2}" -f "$1" "$WORK/img" >"$WORK/debugfs.out" 2>"$WORK/debugfs.err"
	if grep -v '^debugfs [0-9.]* (' "$WORK/debugfs.err" >&2; then
		die "debugfs reported errors"
	fi
}

fsck_fs() {
	local rc=0
	e2fsck -fyD "$WORK/img" >"$WORK/fsck1.out" 2>&1 || rc=$?
	((rc <= 1)) || { cat "$WORK/fsck1.out" >&2; die "e2fsck -fyD exit $rc"; }
}

check_fs() {
	local rc=0
	e2fsck -fn "$WORK/img" >"$WORK/fsck2.out" 2>&1 || rc=$?
	((rc == 0)) || { cat "$WORK/fsck2.out" >&2; die "e2fsck -fn exit $rc"; }
}

# install OUT: copy next to OUT, then rename, so OUT is never partial.
install_image() {
	PARTIAL=$1.partial.$$
	cp --sparse=always -- "$WORK/img" "$PARTIAL"
	mv -f -- "$PARTIAL" "$1"
	PARTIAL=
}

build() {
	local kind=$1 out=$2
	kind_params "$kind"
	[[ -d $(dirname -- "$out") ]] || die "no directory for $out"
	trap cleanup EXIT
	trap 'exit 129' HUP
	trap 'exit 130' INT
	trap 'exit 141' PIPE
	trap 'exit 143' TERM
	WORK=$(mktemp -d "${TMPDIR:-/tmp}/ext4fh-image.XXXXXX")
	build_seed
	record_times
	make_fs
	fsck_fs
	fixup
	check_fs
	"$HERE/verify-image.sh" "$kind" "$WORK/img"
	install_image "$out"
}

main() {
	(($# >= 1)) || usage
	if [[ $1 == --list ]]; then
		printf '%s\n' "${KINDS[@]}"
		return
	fi
	(($# == 2)) || usage
	# The demo seed has only plain files; the test seeds need mknod, chown
	# and trusted.* xattrs.
	[[ $1 == demo ]] || ((EUID == 0)) ||
		die "must run as root (the seed needs mknod, chown, trusted.*)"
	local k
	for k in mke2fs e2fsck debugfs perl find; do
		command -v "$k" >/dev/null || die "missing tool: $k"
	done
	build "$1" "$2"
}

main "$@"
