#!/usr/bin/env bash
# verify-image.sh KIND IMG
#
# Check an image made by make-image.sh with debugfs and e2fsck only (no
# mount): e2fsck -fn is clean, the features match KIND, and the seed's
# content is there (file types, hard links, symlinks, xattrs and ACLs,
# sparse sizes, the htree-indexed 20,000-entry big/, owners, modes,
# nanosecond and pre-1970/post-2038 timestamps, inline data).
# Prints one line per failed check and exits 1 if any failed.
set -euo pipefail
export LC_ALL=C TZ=UTC

KIND=
IMG=
FAILS=0
declare -A OUT=()

die() { printf 'verify-image.sh: %s\n' "$*" >&2; exit 1; }

fail() {
	printf 'verify-image.sh: %s: FAIL: %s\n' "$KIND" "$*" >&2
	FAILS=$((FAILS + 1))
}

# run_session CMD...: run all debugfs commands in one session and store each
# command's output in OUT[command].
run_session() {
	local key='' line
	printf '%s\n' "$@" >"$WORK/cmds"
	while IFS= read -r line; do
		if [[ $line == 'debugfs: '* ]]; then
			key=${line#debugfs: }
			OUT[$key]=
		elif [[ -n $key ]]; then
			OUT[$key]+=$line$'\n'
		fi
	done < <(debugfs -f "$WORK/cmds" "$IMG" 2>&1)
}

# want CMD ERE...: every ERE must match the output of debugfs command CMD.
want() {
	local cmd=$1 re
	shift
	for re in "$@"; do
		grep -Eq -- "$re" <<<"${OUT[$cmd]-}" || fail "$cmd: no match for /$re/"
	done
}

# unwant CMD ERE...: no ERE may match the output of CMD.
unwant() {
	local cmd=$1 re
	shift
	for re in "$@"; do
		if grep -Eq -- "$re" <<<"${OUT[$cmd]-}"; then
			fail "$cmd: unexpected match for /$re/"
		fi
	done
}

# want_sha PATH SHA256: file content read back with debugfs cat.
want_sha() {
	local got
	got=$(debugfs -R "cat $1" "$IMG" 2>/dev/null | sha256sum)
	[[ ${got%% *} == "$2" ]] || fail "sha256 of $1 is ${got%% *}"
}

check_fsck() {
	local rc=0
	E2FSCK_TIME=1700000000 E2FSCK_CONFIG=/dev/null e2fsck -fn "$IMG" \
		>"$WORK/fsck.out" 2>&1 || rc=$?
	((rc == 0)) || { cat "$WORK/fsck.out" >&2; fail "e2fsck -fn exit $rc"; }
}

check_features() {
	local f='stats -h'
	want "$f" '^Filesystem features:.* filetype' '^Filesystem features:.* dir_index' \
		'^Filesystem features:.* ext_attr'
	case $KIND in
	ext2)
		want "$f" '^Block size:[[:space:]]+1024$' '^Inode size:[[:space:]]+256$'
		unwant "$f" 'has_journal' 'extent' 'metadata_csum'
		;;
	ext3)
		want "$f" '^Block size:[[:space:]]+4096$' 'has_journal'
		unwant "$f" 'extent' 'metadata_csum'
		;;
	ext4 | ext4-inline | demo)
		want "$f" '^Block size:[[:space:]]+4096$' 'has_journal' ' extent' 'metadata_csum' \
			' 64bit' 'flex_bg'
		;;
	esac
	if [[ $KIND == ext4-inline ]]; then
		want "$f" 'inline_data'
	else
		unwant "$f" 'inline_data'
	fi
}

check_types() {
	want 'stat /files/random-3m.bin' 'Type: regular' 'Size: 3158073$'
	want 'stat /files/empty' 'Type: regular' 'Size: 0$'
	want 'stat /empty-dir' 'Type: directory'
	want 'stat /links/fast' 'Type: symlink' 'Size: 18$' 'Fast link dest: "\.\./files/small\.txt"'
	want 'stat /links/slow-500' 'Type: symlink' 'Size: 500$'
	want 'stat /special/fifo' 'Type: FIFO'
	want 'stat /special/socket' 'Type: socket'
	want 'stat /special/chr-1-3' 'Type: character special' 'number: 01:03'
	want 'stat /special/chr-300-70000' 'Type: character special' 'number: 300:70000'
	want 'stat /special/blk-8-1' 'Type: block special' 'number: 08:01'
	local max=4095
	[[ $KIND != ext2 ]] || max=1023
	want "stat /links/max-$max" 'Type: symlink' "Size: $max\$"
}

check_links() {
	local p ino inos=()
	for p in /files/hardlink.txt /links/hardlink-2.txt /names/hardlink-3.txt; do
		want "stat $p" 'Links: 3 '
		ino=$(grep -Eo '^Inode: [0-9]+' <<<"${OUT[stat $p]-}" || true)
		inos+=("$ino")
	done
	[[ -n ${inos[0]} && ${inos[0]} == "${inos[1]}" && ${inos[0]} == "${inos[2]}" ]] ||
		fail "hard link names have different inodes: ${inos[*]}"
}

check_xattrs() {
	want 'ea_list /xattrs/mixed' 'user\.small \(1\) = "s"' 'user\.empty \(0\)' \
		'user\.large \((600|2048)\)' 'user\.binary \(10\)' 'trusted\.small' \
		'trusted\.medium \(48\)' 'security\.small' 'security\.medium \(40\)'
	want 'stat /xattrs/mixed' '^File ACL: [1-9]'
	want 'ea_list /xattrs/in-inode' 'user\.a \(1\)' 'trusted\.b \(1\)' 'security\.c \(1\)'
	if [[ $KIND == ext4-inline ]]; then
		# system.data takes in-inode room: these three spill to a block.
		want 'stat /xattrs/in-inode' '^File ACL: [1-9]' 'system\.data \(0\)'
	else
		want 'stat /xattrs/in-inode' '^File ACL: 0$'
	fi
	want 'ea_list /xattrs/many' 'user\.k00 ' 'user\.k19 \(8\) = "value-19"'
	want 'ea_list /xattrs/dir' 'user\.dir' 'trusted\.dir'
	want 'ea_list /xattrs/symlink' 'trusted\.link \(7\) = "symlink"'
	want 'ea_list /' 'user\.root \(9\) = "seed-root"'
	want 'ea_list /acl/file' 'system\.posix_acl_access'
	want 'ea_list /acl/dir' 'system\.posix_acl_access' 'system\.posix_acl_default'
	want 'ea_list /acl/dir/inherited' 'system\.posix_acl_access'
	want 'ea_list /acl/default-only' 'system\.posix_acl_default'
}

check_sparse() {
	want 'stat /sparse/huge-5g.bin' 'Size: 5368709120$'
	want 'stat /sparse/holes.bin' 'Size: 1048576$'
	want 'stat /sparse/all-hole.bin' 'Size: 1048576$' 'Blockcount: 0$'
	local bc
	bc=$(grep -Eo 'Blockcount: [0-9]+' <<<"${OUT[stat /sparse/huge-5g.bin]-}" || true)
	((${bc#Blockcount: } > 0 && ${bc#Blockcount: } < 2048)) ||
		fail "huge-5g.bin is not sparse ($bc)"
}

check_big() {
	want 'stat /big' 'Flags: 0x[0-9a-f]*1[0-9a-f]{3}( |$)'
	local n
	OUT[htree /big]=$(debugfs -R 'htree /big' "$IMG" 2>/dev/null | sed -n 1,12p)
	want 'htree /big' 'Root node dump' 'Indirect levels: [0-9]'
	n=$(debugfs -R 'ls -p /big' "$IMG" 2>/dev/null | grep -c '^/[1-9][0-9]*/' || true)
	((n == 20002)) || fail "big/ has $((n - 2)) entries, not 20000"
}

check_meta() {
	want 'stat /owners/big-ids' 'User: 123456 +Group: 654321'
	want 'stat /owners/nobody' 'User: 65534 +Group: 65534'
	want 'stat /owners/setuid-1000' 'User: +1000 +Group: +1000' 'Mode: +04750'
	want 'stat /modes/setuid' 'Mode: +04755'
	want 'stat /modes/setgid' 'Mode: +02755'
	want 'stat /modes/mode-0000' 'Mode: +0000 '
	want 'stat /modes/sticky-dir' 'Type: directory' 'Mode: +01777'
	want 'ls -p /names' '/a/9/$' "/$(printf 'n%.0s' {1..255})/10/\$" '/日本語/' \
		'/ümlaut/' '/🐧-penguin-😀/'
}

# Exact on-disk values: seconds (low 32 bits) : (nsec << 2 | epoch bits).
check_times() {
	want 'stat /times/pre-1970' 'atime: 0xb669fd2d:d0fbf3ac' 'mtime: 0xfffffffe:ee6b27fc' \
		'ctime: 0xfffffffe:ee6b27fc'
	want 'stat /times/post-2038' 'atime: 0xf4865700:eb79a2c5' 'mtime: 0xf4865700:00000005'
	want 'stat /times/y2038-first' 'mtime: 0x80000000:00000005'
	want 'stat /times/y2038-last' 'mtime: 0x7fffffff:ee6b27fc'
	want 'stat /times/epoch' 'atime: 0x00000000:00000000' 'mtime: 0x00000000:00000004'
}

check_inline() {
	if [[ $KIND == ext4-inline ]]; then
		want 'stat /files/tiny.txt' 'Size of inline data: 60'
		want 'stat /files/medium-100.txt' 'Size of inline data: 100'
		want 'stat /empty-dir' 'Size of inline data: 60'
		want 'stat /links/medium-80' 'Flags: 0x10000000' 'system\.data \(20\)'
		unwant 'stat /files/small.txt' 'Size of inline data'
	else
		unwant 'stat /files/tiny.txt' 'Size of inline data'
	fi
}

verify_seed() {
	run_session 'stats -h' 'ls -p /names' 'ea_list /' \
		stat\ /{files/{random-3m.bin,empty,hardlink.txt,tiny.txt,medium-100.txt,small.txt},empty-dir} \
		stat\ /links/{fast,slow-500,max-4095,max-1023,hardlink-2.txt,medium-80} \
		stat\ /special/{fifo,socket,chr-1-3,chr-300-70000,blk-8-1} \
		'stat /names/hardlink-3.txt' 'stat /big' \
		stat\ /sparse/{huge-5g.bin,holes.bin,all-hole.bin} \
		stat\ /owners/{big-ids,nobody,setuid-1000} \
		stat\ /modes/{setuid,setgid,mode-0000,sticky-dir} \
		stat\ /times/{pre-1970,post-2038,y2038-first,y2038-last,epoch} \
		'stat /xattrs/mixed' 'stat /xattrs/in-inode' \
		ea_list\ /xattrs/{mixed,in-inode,many,dir,symlink} \
		ea_list\ /acl/{file,dir,dir/inherited,default-only}
	check_features
	check_types
	check_links
	check_xattrs
	check_sparse
	check_big
	check_meta
	check_times
	check_inline
	want_sha /files/random-3m.bin ed8c32c0e215407db6e2b9fa00a5f8fed8429b7a06fc746fd4f371aaaf9c2974
	want_sha /sparse/holes.bin 545c23b5b01a437b2e50e0989eb3c295757d73e2f4626b59960292aa4e162c2a
}

verify_demo() {
	run_session 'stats -h' 'stat /README.txt' 'stat /hello.sh' 'stat /latest' \
		'stat /docs' 'ea_list /notes.txt'
	check_features
	want 'stat /README.txt' 'Type: regular'
	want 'stat /hello.sh' 'Type: regular' 'Mode: +0755'
	want 'stat /latest' 'Type: symlink' 'Fast link dest: "docs/guide\.md"'
	want 'stat /docs' 'Type: directory'
	want 'ea_list /notes.txt' 'user\.comment'
}

main() {
	(($# == 2)) || { printf 'usage: %s KIND IMG\n' "${0##*/}" >&2; exit 2; }
	KIND=$1 IMG=$2
	[[ -f $IMG ]] || die "no such image: $IMG"
	WORK=$(mktemp -d "${TMPDIR:-/tmp}/ext4fh-verify.XXXXXX")
	trap 'rm -rf -- "$WORK"' EXIT
	trap 'exit 129' HUP
	trap 'exit 130' INT
	trap 'exit 141' PIPE
	trap 'exit 143' TERM
	check_fsck
	case $KIND in
	ext2 | ext3 | ext4 | ext4-inline) verify_seed ;;
	demo) verify_demo ;;
	*) die "unknown kind: $KIND" ;;
	esac
	((FAILS == 0)) || die "$FAILS check(s) failed for $IMG"
	printf 'verify-image.sh: %s: %s OK\n' "$KIND" "$IMG"
}

main "$@"
