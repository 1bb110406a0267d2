#!/bin/bash
# reexport-test.sh EXT4FH NFSH
#
# Issue 5, item 3: NFS re-export end to end. nfs-ganesha (FSAL VFS)
# exports an ext4fh mount; libnfs (nfsh) is the client. Everything runs in a
# private network, mount and pid namespace (run-ganesha.sh), so nothing
# leaks to the host. The client looks files up once and keeps their NFSv3
# handles; then the ext4fh server is crashed (SIGKILL) and replaced (ctl
# restart), and the old handles must still read and write the right files,
# also when other files are looked up first (scrambled). ganesha keeps
# running throughout: the mount never goes away. Then ganesha is restarted
# and the kernel's caches dropped until it holds none of the files, so that
# the ext4fh server itself must resolve the old handles from the image;
# they must read, write and (for a directory) create and look up, also
# after another crash. A handle to a deleted file gives NFS3ERR_STALE.
# Last, the image must be clean (e2fsck -fn).
#
# Prints "ok" or "FAILED" per check; exits 0 only when all passed.
# Needs root, nfs-ganesha, nfs-ganesha-vfs, rpcbind, libnfs-utils.
set -u

ext4fh=$(readlink -f "$1")
nfsh=$(readlink -f "$2")
here=$(cd "$(dirname "$0")" && pwd)

if [ "$(id -u)" != 0 ]; then
	echo "reexport-test: needs root" >&2
	exit 77
fi
work=$(mktemp -d /tmp/ext4fh-nfs.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir "$work/seed" "$work/seed/dir" "$work/seed/dir/sub" "$work/mnt"
echo "file a" >"$work/seed/a.txt"
echo "file b" >"$work/seed/dir/b.txt"
echo "file c" >"$work/seed/dir/sub/c.txt"
for i in $(seq 1 40); do echo "other $i" >"$work/seed/dir/o$i"; done
mke2fs -q -t ext4 -d "$work/seed" "$work/fs.img" 64M || exit 1

# The scenario, inside the namespace, with ganesha serving the ext4fh mount.
cat >"$work/scenario.sh" <<'EOF'
set -u
ok() { echo "ok      $*"; }
bad() { echo "FAILED  $*"; fails=$((fails + 1)); }
fails=0
mnt=$MNT
nfs() { "$NFSH" "$@"; }
server_pid() { "$EXT4FH" ctl status "$mnt" | sed -n 's/^server_pid: //p'; }
wait_new_server() {  # old pid -> waits until another one serves
	for _ in $(seq 1 600); do
		st=$("$EXT4FH" ctl status "$mnt")
		pid=$(echo "$st" | sed -n 's/^server_pid: //p')
		if echo "$st" | grep -q '^state: serving' && [ "$pid" != "$1" ]; then
			return 0
		fi
		sleep 0.05
	done
	return 1
}
expect_read() {  # handle expected what
	got=$(nfs read "$NFS_SERVER" "$1" 0 4096)
	[ "$got" = "$2" ] && ok "$3" || bad "$3: read '$got', expected '$2'"
}
cached() { "$EXT4FH" ctl status "$mnt" | sed -n 's/^cached_inodes: //p'; }
evicted() {  # max -> drops the caches; true once the kernel holds <= max inodes
	sync
	echo 2 >/proc/sys/vm/drop_caches || return 1
	for _ in $(seq 1 200); do
		[ "$(cached)" -le "$1" ] && return 0
		sleep 0.05
	done
	return 1
}
# ganesha is restarted, so that it closes its fds and forgets its objects,
# then the kernel's caches are dropped until the kernel holds none of the
# files below (only the root, which ganesha keeps open): the old handles
# can then only be resolved by the server from the image, through
# LOOKUP(nodeid, "."), and for the directory "..", as a restarted NFS
# server would have to.
from_image() {  # tag
	$GANESHA_CTL restart >/dev/null 2>&1 || bad "$1: ganesha restart"
	before=$(cached)
	evicted 1 && ok "$1: the kernel forgot the inodes (cached_inodes $before -> $(cached))" ||
		bad "$1: cached_inodes $before -> $(cached) after drop_caches"
	expect_read "$b" "file b" "$1: read dir/b.txt by old handle"
	nfs truncate "$NFS_SERVER" "$c" 0 && nfs write "$NFS_SERVER" "$c" 0 "$1-c" >/dev/null ||
		bad "$1: truncate and write c.txt by old handle"
	expect_read "$c" "$1-c" "$1: read back c.txt by old handle"
	new=$(nfs create "$NFS_SERVER" "$d" "$1") && nfs write "$NFS_SERVER" "$new" 0 "$1" >/dev/null ||
		bad "$1: create in dir/sub by its old handle"
	[ "$(cat "$mnt/dir/sub/$1" 2>&1)" = "$1" ] && ok "$1: created dir/sub/$1 by the old directory handle" ||
		bad "$1: dir/sub/$1 holds '$(cat "$mnt/dir/sub/$1" 2>&1)'"
	[ "$(nfs lookupat "$NFS_SERVER" "$d" c.txt)" = "$c" ] && ok "$1: lookup in the old directory handle" ||
		bad "$1: lookup of c.txt in the old directory handle"
}

a=$(nfs lookup "$NFS_SERVER" "$NFS_EXPORT" a.txt) || bad "lookup a.txt"
b=$(nfs lookup "$NFS_SERVER" "$NFS_EXPORT" dir/b.txt) || bad "lookup dir/b.txt"
c=$(nfs lookup "$NFS_SERVER" "$NFS_EXPORT" dir/sub/c.txt) || bad "lookup c.txt"
d=$(nfs lookup "$NFS_SERVER" "$NFS_EXPORT" dir/sub) || bad "lookup dir/sub"
gone=$(nfs lookup "$NFS_SERVER" "$NFS_EXPORT" dir/o40) || bad "lookup dir/o40"
ganesha=$($GANESHA_CTL status)
expect_read "$a" "file a" "read a.txt by handle"

# 1. The server is killed; the keeper restarts it on the same connection.
old=$(server_pid)
kill -9 "$old"
wait_new_server "$old" && ok "server restarted after SIGKILL" || bad "no new server"
expect_read "$b" "file b" "old handle of dir/b.txt after a crash"
nfs write "$NFS_SERVER" "$a" 0 "crash-a" >/dev/null && ok "write a.txt by old handle after a crash" ||
	bad "write a.txt by old handle after a crash"
expect_read "$a" "crash-a" "read back a.txt after a crash"
[ "$(cat "$mnt/a.txt")" = "crash-a" ] && ok "the write is on the mount" || bad "the write is not on the mount"
nfs getattr "$NFS_SERVER" "$d" | grep -q '^type=DIR ' &&
	ok "getattr of the old directory handle" || bad "getattr of the old directory handle"

# 2. A planned restart.
old=$(server_pid)
"$EXT4FH" ctl restart "$mnt" >/dev/null && wait_new_server "$old" &&
	ok "planned restart" || bad "planned restart"
nfs write "$NFS_SERVER" "$c" 0 "planned-c" >/dev/null && ok "write c.txt by old handle after a planned restart" ||
	bad "write c.txt by old handle after a planned restart"
expect_read "$c" "planned-c" "read back c.txt after a planned restart"

# 3. Scrambled: another crash, a cache drop, and other names looked up
#    first, so that nothing about the old handles can come from lookup order.
old=$(server_pid)
kill -9 "$old"
wait_new_server "$old" || bad "no new server (scrambled)"
sync; echo 2 >/proc/sys/vm/drop_caches
for i in $(seq 1 30); do nfs lookup "$NFS_SERVER" "$NFS_EXPORT" "dir/o$i" >/dev/null; done
expect_read "$c" "planned-c" "old handle of c.txt after others were looked up first"
expect_read "$b" "file b" "old handle of b.txt after others were looked up first"
expect_read "$a" "crash-a" "old handle of a.txt after others were looked up first"

# 4. ganesha never restarted: its export stayed open on the same mount.
[ "$($GANESHA_CTL status)" = "$ganesha" ] && ok "ganesha kept running ($ganesha)" ||
	bad "ganesha changed: $ganesha -> $($GANESHA_CTL status)"
restarts=$("$EXT4FH" ctl status "$mnt" | sed -n 's/^restarts: //p')
[ "$restarts" = 3 ] && ok "three server restarts" || bad "restarts: $restarts"

# 5. Resolved from the image: ganesha restarted and the caches dropped,
#    then once more after a crash.
from_image forced
old=$(server_pid)
kill -9 "$old"
wait_new_server "$old" && ok "server restarted after SIGKILL" || bad "no new server"
from_image crashed

# 6. A deleted file's handle is stale, not another file. ganesha caches
#    the object for a known handle, so it is restarted to ask afresh.
rm "$mnt/dir/o40"
for i in $(seq 41 60); do echo "new $i" >"$mnt/dir/n$i"; done
sync; echo 2 >/proc/sys/vm/drop_caches
$GANESHA_CTL restart >/dev/null 2>&1 || bad "ganesha restart"
nfs read "$NFS_SERVER" "$gone" 0 100 >/dev/null 2>&1
rc=$?
[ $rc = 3 ] && ok "a deleted file's handle gives NFS3ERR_STALE" || bad "deleted file's handle: exit $rc"
expect_read "$b" "file b" "old handle of b.txt after a ganesha restart"
# ganesha checks the length of its handles (the kernel would not: Q16).
nfs read "$NFS_SERVER" "${b}00000000" 0 100 >/dev/null 2>&1
rc=$?
[ $rc = 4 ] && ok "a handle with trailing bytes gives NFS3ERR_BADHANDLE" || bad "trailing bytes: exit $rc"

# 7. ganesha names the filesystem in its handles by the UUID that blkid
#    reads from the mount's loop device (fuseblk), not by the device number,
#    so the handles also survive an unmount and a new mount of the image
#    (ganesha must be stopped to unmount: it holds the mount).
uuid=$(blkid -o value -s UUID "$IMG" | tr -d -)
case $b in *"$uuid"*) ok "handles hold the image's UUID" ;; *) bad "no UUID $uuid in handle $b" ;; esac
$GANESHA_CTL stop
bash "$UNMOUNT" && "$EXT4FH" "$IMG" "$mnt" 2>/dev/null || bad "remount"
$GANESHA_CTL start >/dev/null 2>&1 || bad "ganesha start after the remount"
expect_read "$b" "file b" "old handle of b.txt after a remount"
new=$(nfs create "$NFS_SERVER" "$d" remounted) && [ -f "$mnt/dir/sub/remounted" ] &&
	ok "create by the old directory handle after a remount" ||
	bad "create by the old directory handle after a remount"
echo "checks failed: $fails"
exit $((fails > 0))
EOF

# Unmounts and waits until the keeper has exited (the image is then clean).
cat >"$work/unmount.sh" <<EOF
keeper=\$("$ext4fh" ctl status "$work/mnt" | sed -n 's/^keeper_pid: //p')
umount "$work/mnt" || exit 1
while [ -n "\$keeper" ] && kill -0 "\$keeper" 2>/dev/null; do sleep 0.05; done
EOF

export EXT4FH=$ext4fh NFSH=$nfsh MNT=$work/mnt IMG=$work/fs.img UNMOUNT=$work/unmount.sh
GANESHA_PRE="$ext4fh $work/fs.img $work/mnt" GANESHA_POST="bash $work/unmount.sh" \
	"$here/run-ganesha.sh" "$work/mnt" bash "$work/scenario.sh"
rc=$?
if e2fsck -fn "$work/fs.img" >"$work/fsck.out" 2>&1; then
	echo "ok      e2fsck -fn is clean"
else
	echo "FAILED  e2fsck -fn:"; cat "$work/fsck.out"
	rc=1
fi
exit $rc
