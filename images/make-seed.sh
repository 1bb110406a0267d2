#!/usr/bin/env bash
# make-seed.sh [--blocksize N] DIR
#
# Build the deterministic ext4fh test seed tree in DIR (which must not exist
# or be empty).  The tree exercises every file type, hard links, odd names,
# xattrs in every namespace, POSIX ACLs, sparse files (one > 4 GiB), a
# 20,000-entry directory, unusual modes and owners, and nanosecond
# timestamps before 1970 and after 2038.  See images/README.md.
#
# --blocksize N  block size of the target file system (default 4096).  Only
#                two things depend on it: the longest symlink (N-1 bytes,
#                at most 4095) and the size of the large xattr value, which
#                must fit in one xattr block.
#
# Must run as root (mknod, chown, trusted.* xattrs).  The file system that
# holds DIR must support user/trusted/security xattrs, POSIX ACLs, sparse
# files and 64-bit timestamps (ext4 with 256-byte inodes, xfs, btrfs, ...).
set -euo pipefail
export LC_ALL=C TZ=UTC
umask 022

BLOCKSIZE=4096
SEED=

die() { printf 'make-seed.sh: %s\n' "$*" >&2; exit 1; }

usage() {
	printf 'usage: %s [--blocksize N] DIR\n' "${0##*/}" >&2
	exit 2
}

parse_args() {
	while (($#)); do
		case $1 in
		--blocksize) (($# >= 2)) || usage; BLOCKSIZE=$2; shift 2 ;;
		-h | --help) usage ;;
		-*) usage ;;
		*) [[ -z $SEED ]] || usage; SEED=$1; shift ;;
		esac
	done
	[[ -n $SEED ]] || usage
	[[ $BLOCKSIZE =~ ^(1024|2048|4096|8192|16384|32768|65536)$ ]] ||
		die "bad --blocksize: $BLOCKSIZE"
}

check_env() {
	((EUID == 0)) || die "must run as root (mknod, chown, trusted.* xattrs)"
	local tool
	for tool in perl setfattr setfacl mknod truncate touch; do
		command -v "$tool" >/dev/null || die "missing tool: $tool"
	done
	if [[ -e $SEED ]]; then
		[[ -d $SEED ]] || die "$SEED exists and is not a directory"
		[[ -z $(ls -A "$SEED") ]] || die "$SEED is not empty"
	fi
	mkdir -p "$SEED"
	SEED=$(cd "$SEED" && pwd -P)
}

# --- content generators ----------------------------------------------------

# random_bytes N TAG: N bytes of SHA-256 counter-mode output,
# block i = sha256("ext4fh:TAG:i"), concatenated, truncated to N.
random_bytes() {
	perl -MDigest::SHA=sha256 -e '
		my ($n, $tag) = @ARGV; my $i = 0; binmode STDOUT;
		while ($n > 0) {
			my $b = sha256("ext4fh:$tag:" . $i++);
			$b = substr($b, 0, $n) if $n < 32;
			print $b; $n -= length $b;
		}' "$1" "$2"
}

# text_lines N: N numbered lines of readable text.
text_lines() {
	perl -e 'printf "%04d the quick brown fox jumps over the lazy dog\n", $_
		for 1 .. $ARGV[0]' "$1"
}

# pattern_string LEN UNIT: UNIT repeated and cut to exactly LEN bytes.
pattern_string() {
	perl -e 'my ($n, $u) = @ARGV; print substr($u x (int($n / length($u)) + 1), 0, $n)' \
		"$1" "$2"
}

# write_at FILE OFFSET LEN TAG: write LEN random bytes at OFFSET, no truncation.
write_at() {
	random_bytes "$3" "$4" | dd of="$1" bs=64K seek="$2" oflag=seek_bytes \
		conv=notrunc status=none
}

# --- tree sections ---------------------------------------------------------

mk_files() {
	mkdir files
	: >files/empty
	printf 'hello, ext4fh\n' >files/tiny.txt
	pattern_string 100 'inline-data-100 ' >files/medium-100.txt
	text_lines 60 >files/small.txt
	random_bytes 4096 exact-block >files/exact-4096.bin
	random_bytes $((3 * 1024 * 1024 + 12345)) random-3m >files/random-3m.bin
	printf 'a name with spaces\n' >'files/with space.txt'
	printf 'three names\n' >files/hardlink.txt
}

mk_sparse() {
	mkdir sparse
	# 1 MiB: hole [0,64K) data [64K,72K) hole [72K,512K) data [512K,520K+100)
	# hole up to 1 MiB.
	write_at sparse/holes.bin $((64 * 1024)) 8192 holes-a
	write_at sparse/holes.bin $((512 * 1024)) $((8192 + 100)) holes-b
	truncate -s 1M sparse/holes.bin
	truncate -s 1M sparse/all-hole.bin
	# 5 GiB: 16 KiB straddling the 4 GiB boundary, 4 KiB at 4.5 GiB, hole to
	# the end.
	write_at sparse/huge-5g.bin $((4 * 1024 ** 3 - 8192)) 16384 huge-a
	write_at sparse/huge-5g.bin $((4 * 1024 ** 3 + 512 * 1024 ** 2)) 4096 huge-b
	truncate -s 5G sparse/huge-5g.bin
}

mk_links() {
	mkdir links
	ln files/hardlink.txt links/hardlink-2.txt
	ln -s ../files/small.txt links/fast
	ln -s "$(pattern_string 80 '../files/')" links/medium-80
	ln -s "$(pattern_string 500 'slow-symlink-target/')" links/slow-500
	local max=$((BLOCKSIZE - 1))
	((max <= 4095)) || max=4095
	ln -s "$(pattern_string "$max" 'maximal-symlink/')" "links/max-$max"
	ln -s does/not/exist links/dangling
	ln -s ../files links/to-dir
	ln -s /etc/hostname links/absolute
	ln -s self-loop links/self-loop
}

mk_special() {
	mkdir special
	mkfifo special/fifo
	perl -MIO::Socket::UNIX -e '
		IO::Socket::UNIX->new(Type => SOCK_STREAM(), Local => $ARGV[0],
			Listen => 1) or die "socket: $!\n"' special/socket
	mknod special/chr-1-3 c 1 3
	mknod special/chr-300-70000 c 300 70000
	mknod special/blk-8-1 b 8 1
}

mk_names() {
	mkdir names
	ln files/hardlink.txt names/hardlink-3.txt
	printf 'one byte\n' >names/a
	mkdir names/x
	printf '255 ascii\n' >"names/$(pattern_string 255 n)"
	printf '255 utf-8\n' >"names/$(pattern_string 255 '日')"
	printf 'japanese\n' >names/日本語
	printf 'umlaut\n' >names/ümlaut
	printf 'emoji\n' >names/🐧-penguin-😀
	printf 'hidden\n' >names/.hidden
	printf 'dash\n' >names/-leading-dash
	printf 'quote\n' >"names/single'quote"
	printf 'semicolon\n' >'names/semi;colon'
	mkdir names/ディレクトリ
	printf 'inside\n' >names/ディレクトリ/ファイル.txt
}

mk_xattrs() {
	mkdir xattrs
	local large=2048 i
	((BLOCKSIZE >= 4096)) || large=600
	printf 'xattrs\n' >xattrs/mixed
	setfattr -n user.small -v s xattrs/mixed
	setfattr -n user.empty xattrs/mixed
	setfattr -n user.medium -v "$(pattern_string 64 medium)" xattrs/mixed
	setfattr -n user.large -v "$(pattern_string "$large" large-value-)" xattrs/mixed
	setfattr -n user.binary -v 0x000102037f80feff00ff xattrs/mixed
	setfattr -n trusted.small -v t xattrs/mixed
	setfattr -n trusted.medium -v "$(pattern_string 48 trusted)" xattrs/mixed
	setfattr -n security.small -v x xattrs/mixed
	setfattr -n security.medium -v "$(pattern_string 40 security)" xattrs/mixed

	printf 'in-inode xattrs only\n' >xattrs/in-inode
	setfattr -n user.a -v 1 xattrs/in-inode
	setfattr -n trusted.b -v 2 xattrs/in-inode
	setfattr -n security.c -v 3 xattrs/in-inode

	printf 'many xattrs\n' >xattrs/many
	for i in $(seq -w 0 19); do
		setfattr -n "user.k$i" -v "value-$i" xattrs/many
	done

	mkdir xattrs/dir
	setfattr -n user.dir -v directory xattrs/dir
	setfattr -n trusted.dir -v directory xattrs/dir

	ln -s ../files/tiny.txt xattrs/symlink
	setfattr -h -n trusted.link -v symlink xattrs/symlink

	# Copied by mke2fs -d onto the root directory of the image.
	setfattr -n user.root -v seed-root .
}

mk_acls() {
	mkdir acl
	printf 'access acl\n' >acl/file
	setfacl -m u:1000:rw-,g:1000:r--,m::rw-,o::--- acl/file
	mkdir acl/dir
	setfacl -m u:1000:rwx,g:65534:r-x acl/dir
	setfacl -d -m u:1000:rwx,g::r-x,o::--- acl/dir
	printf 'inherits the default acl\n' >acl/dir/inherited
	mkdir acl/default-only
	setfacl -d -m u:123456:r-x acl/default-only
}

mk_modes() {
	mkdir modes
	local f
	for f in setuid setgid all-7777 mode-0000 readonly exec; do
		printf '%s\n' "$f" >"modes/$f"
	done
	chmod 4755 modes/setuid
	chmod 2755 modes/setgid
	chmod 7777 modes/all-7777
	chmod 0000 modes/mode-0000
	chmod 0444 modes/readonly
	chmod 0755 modes/exec
	mkdir modes/sticky-dir modes/setgid-dir modes/dir-0000 modes/dir-0700
	chmod 1777 modes/sticky-dir
	chmod 2775 modes/setgid-dir
	chmod 0000 modes/dir-0000
	chmod 0700 modes/dir-0700
}

mk_owners() {
	mkdir owners
	printf 'u1000\n' >owners/u1000
	printf 'nobody\n' >owners/nobody
	printf 'large ids\n' >owners/big-ids
	mkdir owners/dir-1000
	ln -s u1000 owners/symlink-1000
	chown 1000:1000 owners/u1000 owners/dir-1000
	chown -h 1000:1000 owners/symlink-1000
	chown 65534:65534 owners/nobody
	chown 123456:654321 owners/big-ids
	printf 'setuid, owned by 1000\n' >owners/setuid-1000
	chown 1000:1000 owners/setuid-1000
	chmod 4750 owners/setuid-1000
}

mk_deep() {
	local path=deep i
	for i in $(seq -w 1 16); do
		path+=/level-$i
	done
	mkdir -p "$path"
	printf 'bottom\n' >"$path/leaf.txt"
}

mk_big() {
	mkdir big
	local i name
	for ((i = 0; i < 20000; i++)); do
		printf -v name 'big/f%05d' "$i"
		if ((i % 1000 == 0)); then
			printf '%s\n' "$name" >"$name"
		else
			: >"$name"
		fi
	done
}

mk_times() {
	mkdir times empty-dir
	local f
	for f in pre-1970 post-2038 y2038-last y2038-first epoch; do
		printf '%s\n' "$f" >"times/$f"
	done
}

# --- timestamps ------------------------------------------------------------

# stamp PATH ATIME MTIME: set both times (touch -d @SEC.NSEC, no deref).
stamp() {
	touch -h -a -d "@$2" "$1"
	touch -h -m -d "@$3" "$1"
}

# Every entry outside big/ gets distinct atime/mtime with distinct
# nanoseconds, in sorted path order.  Touching an entry never changes its
# parent's times, but reading a directory may update its atime (relatime),
# so big/* is done first and nothing reads the tree after the last stamp.
stamp_all() {
	local i=0 p a m
	find big -mindepth 1 -print0 | xargs -0 touch -h -a -d @1650000000.111111111
	find big -mindepth 1 -print0 | xargs -0 touch -h -m -d @1650000000.222222222
	while IFS= read -r -d '' p; do
		printf -v a '%d.%09d' $((1600000000 + i * 7919)) $(((i * 987654321 + 7) % 1000000000))
		printf -v m '%d.%09d' $((1700000000 + i * 7919)) $(((i * 123456789 + 1) % 1000000000))
		stamp "$p" "$a" "$m"
		i=$((i + 1))
	done < <(find . -mindepth 1 -path ./big/'*' -prune -o -print0 | sort -z)
}

stamp_special() {
	stamp times/pre-1970 -1234567890.123456789 -1.000000001
	stamp times/post-2038 4102444800.987654321 4102444800.000000001
	stamp times/y2038-last 2147483647.999999999 2147483647.999999999
	stamp times/y2038-first 2147483648.000000001 2147483648.000000001
	stamp times/epoch 0.000000000 0.000000001
	stamp . 1600000000.000000001 1700000000.000000002
}

main() {
	parse_args "$@"
	check_env
	cd "$SEED"
	mk_files
	mk_sparse
	mk_links
	mk_special
	mk_names
	mk_xattrs
	mk_acls
	mk_modes
	mk_owners
	mk_deep
	mk_big
	mk_times
	stamp_all
	stamp_special
}

main "$@"
