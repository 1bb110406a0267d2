#!/bin/bash
# run-ganesha.sh EXPORT_DIR CMD [ARGS...]
#
# Start rpcbind + nfs-ganesha (FSAL VFS, NFSv3 only, TCP only) inside a
# private network + mount + pid namespace, exporting EXPORT_DIR at the
# pseudo path /export (also the MOUNT path, mount_path_pseudo = true), wait
# until an NFSv3 client can list it, run CMD inside the same namespace, then
# stop everything and exit with CMD's status.
#
# Inside CMD these variables are set:
#   NFS_SERVER=127.0.0.1  NFS_EXPORT=/export  NFS_URL=nfs://127.0.0.1/export
#   NFS_PORT (2049)  MNT_PORT (20048)
#   GANESHA_STATEDIR  (config, log, pid, recovery dir)
#   GANESHA_CTL       ("/path/run-ganesha.sh --ctl"): CMD may run
#       $GANESHA_CTL stop | start | restart | status | log | wait-ready
#     to restart ganesha (e.g. after restarting the FUSE server behind the
#     export) without leaving the namespace.
#
# Environment knobs (all optional):
#   GANESHA_NFS_PORT (2049)  GANESHA_MNT_PORT (20048)
#   GANESHA_LOG_LEVEL (EVENT; e.g. DEBUG, FULL_DEBUG, INFO, WARN)
#   GANESHA_STATEDIR  (default: mktemp -d /tmp/run-ganesha.XXXXXX; removed at
#                      exit unless GANESHA_KEEP=1 or it was given by you)
#   GANESHA_READY_TIMEOUT (seconds, default 30)
#   GANESHA_EXPORT_EXTRA  (extra lines put inside the EXPORT { } block)
#   GANESHA_CONF_EXTRA    (extra top-level config blocks)
#   GANESHA_PRE   shell snippet run (bash -c) inside the namespace before
#                 ganesha starts, e.g. to mount a loop image or start a FUSE
#                 server on EXPORT_DIR (so the mount never exists on the host)
#   GANESHA_POST  shell snippet run at teardown after ganesha stopped
#                 (e.g. fusermount -u DIR); its failures are ignored
#
# Nothing leaks: the net namespace only has its own lo; /run inside is a
# private tmpfs; the pid namespace guarantees that every process started in
# it (ganesha, rpcbind, anything CMD forgot) is SIGKILLed when we exit.
#
# Requires root, nfs-ganesha, nfs-ganesha-vfs, rpcbind, libnfs-utils,
# iproute2, util-linux (unshare).

set -u

SELF=$(readlink -f "$0")

die() { echo "run-ganesha: $*" >&2; exit 125; }

# ---------------------------------------------------------------------------
# helpers used both by the inner script and by "--ctl"

is_alive() {   # pid -> 0 if it exists and is not a zombie
	local st
	[ -r "/proc/$1/stat" ] || return 1
	st=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
	[ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}

ganesha_pid() { cat "$GANESHA_STATEDIR/ganesha.pid.ours" 2>/dev/null; }

ganesha_start() {
	local pid
	pid=$(ganesha_pid)
	if [ -n "$pid" ] && is_alive "$pid"; then
		echo "run-ganesha: ganesha already running ($pid)" >&2
		return 0
	fi
	# only log lines written from now on count for the error checks
	stat -c %s "$GANESHA_STATEDIR/ganesha.log" >"$GANESHA_STATEDIR/log.offset" 2>/dev/null ||
		echo 0 >"$GANESHA_STATEDIR/log.offset"
	# -F foreground (we background it ourselves and keep its pid)
	# stdio goes to files so that nobody's pipe is held open by the daemon
	ganesha.nfsd -F -f "$GANESHA_STATEDIR/ganesha.conf" \
		-L "$GANESHA_STATEDIR/ganesha.log" \
		-p "$GANESHA_STATEDIR/ganesha.pid" \
		-N "NIV_${GANESHA_LOG_LEVEL:-EVENT}" \
		</dev/null >>"$GANESHA_STATEDIR/ganesha.stdout" 2>&1 &
	echo $! >"$GANESHA_STATEDIR/ganesha.pid.ours"
	if ! ganesha_wait_ready; then
		ganesha_stop   # e.g. a broken export: do not leave it half-running
		return 1
	fi
}

new_log() {   # the part of ganesha.log written since the last start
	local off
	off=$(cat "$GANESHA_STATEDIR/log.offset" 2>/dev/null || echo 0)
	tail -c "+$((off + 1))" "$GANESHA_STATEDIR/ganesha.log" 2>/dev/null
}

show_errors() {   # the interesting lines of the log, known noise removed
	echo "run-ganesha: errors in $GANESHA_STATEDIR/ganesha.log:" >&2
	new_log | grep -E ':(CRIT|MAJ|FATAL|WARN) :' |
		grep -vE ':DBUS :|RADOS|krb5|keytab|default realm' | tail -n 20 >&2
	tail -n 5 "$GANESHA_STATEDIR/ganesha.stdout" 2>/dev/null >&2
}

ganesha_wait_ready() {
	local pid t0 deadline
	pid=$(ganesha_pid)
	t0=$(date +%s%N)
	deadline=$(( t0 + ${GANESHA_READY_TIMEOUT:-30} * 1000000000 ))
	while :; do
		if ! is_alive "$pid"; then
			echo "run-ganesha: ganesha ($pid) died during startup" >&2
			show_errors
			return 1
		fi
		# a broken EXPORT does not make ganesha exit: it keeps running
		# with no export. Fail fast on such errors instead of timing out.
		if new_log | grep -qE ':(EXPORT|FSAL|CONFIG) :(CRIT|FATAL)|:FATAL :'; then
			echo "run-ganesha: ganesha ($pid) reported a fatal export/config error" >&2
			show_errors
			return 1
		fi
		# readiness = a real NFSv3 client (MOUNT via rpcbind + READDIR) works
		if nfs-ls "nfs://127.0.0.1/export/" >/dev/null 2>&1; then
			echo "run-ganesha: ganesha ($pid) ready after" \
				"$(( ($(date +%s%N) - t0) / 1000000 )) ms" >&2
			return 0
		fi
		if [ "$(date +%s%N)" -gt "$deadline" ]; then
			echo "run-ganesha: ganesha not ready after" \
				"${GANESHA_READY_TIMEOUT:-30}s" >&2
			show_errors
			return 1
		fi
		sleep 0.05
	done
}

gone_within() {   # pid tries: true once pid is gone, checking every 50 ms
	local pid=$1 i
	for i in $(seq 1 "$2"); do
		is_alive "$pid" || return 0
		sleep 0.05
	done
	return 1
}

stop_pid() {   # pid name: SIGTERM, wait up to 10 s, then SIGKILL
	local pid=$1 name=$2
	[ -n "$pid" ] || return 0
	is_alive "$pid" || return 0
	kill -TERM "$pid" 2>/dev/null
	gone_within "$pid" 200 && return 0
	echo "run-ganesha: $name ($pid) ignored SIGTERM, sending SIGKILL" >&2
	kill -KILL "$pid" 2>/dev/null
	gone_within "$pid" 100 && return 0
	echo "run-ganesha: $name ($pid) still alive" >&2
	return 1
}

ganesha_stop() {
	stop_pid "$(ganesha_pid)" ganesha
	wait "$(ganesha_pid)" 2>/dev/null   # reap if it is our child
	rm -f "$GANESHA_STATEDIR/ganesha.pid.ours"
}

# ---------------------------------------------------------------------------
# --ctl: called from inside CMD

if [ "${1:-}" = "--ctl" ]; then
	[ -n "${RUN_GANESHA_INNER:-}" ] || die "--ctl only works inside CMD"
	case "${2:-}" in
	start) ganesha_start ;;
	stop) ganesha_stop ;;
	restart) ganesha_stop && ganesha_start ;;
	wait-ready) ganesha_wait_ready ;;
	status) p=$(ganesha_pid); if [ -n "$p" ] && is_alive "$p"; then
			echo "running $p"; else echo stopped; exit 1; fi ;;
	log) cat "$GANESHA_STATEDIR/ganesha.log" ;;
	*) die "usage: \$GANESHA_CTL start|stop|restart|status|log|wait-ready" ;;
	esac
	exit $?
fi

# ---------------------------------------------------------------------------
# outer part: validate, then re-exec inside new namespaces

if [ -z "${RUN_GANESHA_INNER:-}" ]; then
	[ $# -ge 2 ] || die "usage: $0 EXPORT_DIR CMD [ARGS...]"
	[ "$(id -u)" = 0 ] || die "must run as root"
	for b in ganesha.nfsd rpcbind nfs-ls unshare ip; do
		command -v "$b" >/dev/null || die "missing $b"
	done
	[ -e /usr/lib/x86_64-linux-gnu/ganesha/libfsalvfs.so ] ||
		[ -n "$(ls /usr/lib/*/ganesha/libfsalvfs.so 2>/dev/null)" ] ||
		die "FSAL VFS missing (apt-get install nfs-ganesha-vfs)"
	EXPORT_DIR=$(readlink -f "$1") || die "bad export dir $1"
	[ -d "$EXPORT_DIR" ] || die "export dir $EXPORT_DIR is not a directory"
	case "$EXPORT_DIR/" in
	/run/*|/var/run/*) die "export dir must not be under /run (a private tmpfs hides it)";;
	esac
	shift
	if [ -n "${GANESHA_STATEDIR:-}" ]; then
		mkdir -p "$GANESHA_STATEDIR" || die "cannot create $GANESHA_STATEDIR"
		OWN_STATEDIR=0
	else
		GANESHA_STATEDIR=$(mktemp -d /tmp/run-ganesha.XXXXXX) || die "mktemp"
		OWN_STATEDIR=1
	fi
	GANESHA_STATEDIR=$(readlink -f "$GANESHA_STATEDIR")
	export GANESHA_STATEDIR
	export RUN_GANESHA_INNER=1 RUN_GANESHA_EXPORT_DIR="$EXPORT_DIR"
	# --pid --fork: the inner script is pid 1 of a new pid namespace; when
	#   it exits the kernel SIGKILLs everything left in that namespace.
	# --kill-child: if unshare itself is killed, pid 1 gets SIGKILL too.
	# --mount-proc: /proc matching the new pid namespace.
	# setpriv --pdeathsig KILL: if this script dies (even by SIGKILL),
	#   unshare gets SIGKILL, hence pid 1, hence everything inside.
	# Started in the background (stdin passed explicitly) so that we can
	# forward SIGTERM/SIGINT/SIGHUP to pid 1, which then tears down cleanly.
	# (unshare itself ignores SIGINT/SIGTERM while it waits for its child,
	# and background jobs of a script start with SIGINT ignored, so pid 1
	# always gets SIGTERM.)
	setpriv --pdeathsig KILL \
		unshare --net --mount --propagation private \
		--pid --fork --kill-child --mount-proc \
		"$SELF" "$@" <&0 &
	UPID=$!
	forward() {
		local c
		for c in $(pgrep -P "$UPID"); do
			kill -TERM "$c" 2>/dev/null
		done
	}
	trap 'forward' TERM INT HUP
	while :; do
		wait "$UPID"
		rc=$?
		# wait returns >128 when interrupted by a trapped signal: if the
		# child is still there (running or not yet reaped), wait again
		if [ "$rc" -gt 128 ] && kill -0 "$UPID" 2>/dev/null; then
			continue
		fi
		break
	done
	if [ "$OWN_STATEDIR" = 1 ] && [ "${GANESHA_KEEP:-0}" != 1 ]; then
		rm -rf "$GANESHA_STATEDIR"
	elif [ "$OWN_STATEDIR" = 1 ]; then
		echo "run-ganesha: state kept in $GANESHA_STATEDIR" >&2
	fi
	exit "$rc"
fi

# ---------------------------------------------------------------------------
# inner part: we are pid 1 in fresh net+mount+pid namespaces

EXPORT_DIR=$RUN_GANESHA_EXPORT_DIR
unset RUN_GANESHA_EXPORT_DIR

mkdir -p "$GANESHA_STATEDIR/recov"

NFS_PORT=${GANESHA_NFS_PORT:-2049}
MNT_PORT=${GANESHA_MNT_PORT:-20048}

RPCBIND_PID=
CMD_RC=125

teardown() {
	ganesha_stop
	if [ -n "${GANESHA_POST:-}" ]; then
		bash -c "$GANESHA_POST" || echo "run-ganesha: GANESHA_POST failed" >&2
	fi
	if [ -n "$RPCBIND_PID" ]; then
		stop_pid "$RPCBIND_PID" rpcbind
		wait "$RPCBIND_PID" 2>/dev/null
	fi
}
CMD_PID=
on_signal() {   # $1 = exit status to report
	CMD_RC=$1
	if [ -n "$CMD_PID" ]; then
		kill -TERM "$CMD_PID" 2>/dev/null
		stop_pid "$CMD_PID" CMD
	fi
	exit "$CMD_RC"
}
trap 'teardown; exit $CMD_RC' EXIT
trap 'on_signal 130' INT
trap 'on_signal 143' TERM
trap 'on_signal 129' HUP

ip link set lo up || die "ip link set lo up failed"
# private /run: rpcbind.sock/rpcbind.lock, /run/rpcbind state, blkid cache,
# ganesha's default /var/run/ganesha all end up here and vanish with us.
mount -t tmpfs -o mode=0755 tmpfs /run || die "mount tmpfs /run failed"

cat >"$GANESHA_STATEDIR/ganesha.conf" <<EOF
# generated by run-ganesha.sh
NFS_CORE_PARAM {
	Protocols = 3;            # NFSv3 only (MOUNT v3 is started with it)
	mount_path_pseudo = true; # MOUNT /export (pseudo path), not the real path
	Enable_NLM = false;       # no lock manager (needs rpc.statd otherwise)
	Enable_RQUOTA = false;    # no rquota (port 875)
	Enable_UDP = false;       # TCP only
	NFS_Port = $NFS_PORT;
	MNT_Port = $MNT_PORT;     # fixed instead of a random port
	# no Bind_addr: default 0.0.0.0/:: (the netns only has lo anyway)
}
NFS_KRB5 {
	Active_krb5 = false;      # silences keytab/gssd errors
}
NFSV4 {
	# even with Protocols = 3 ganesha initialises v4 recovery; keep it in
	# our state dir instead of /var/lib/nfs/ganesha, and skip grace
	Graceless = true;
	RecoveryBackend = fs;
	RecoveryRoot = "$GANESHA_STATEDIR/recov";
}
EXPORT {
	Export_Id = 1;
	Path = "$EXPORT_DIR";
	Pseudo = /export;
	Protocols = 3;
	Transports = TCP;
	Access_Type = RW;
	Squash = No_Root_Squash;
	SecType = sys;
	# do not serve stale cached attributes when the fs changes underneath
	Attr_Expiration_Time = 0;
	${GANESHA_EXPORT_EXTRA:-}
	FSAL {
		Name = VFS;
	}
}
${GANESHA_CONF_EXTRA:-}
EOF

# rpcbind in the foreground (-f) so we own (and can reap) its pid.
rpcbind -f </dev/null >"$GANESHA_STATEDIR/rpcbind.out" 2>&1 &
RPCBIND_PID=$!
for i in $(seq 1 100); do
	[ -S /run/rpcbind.sock ] && break
	is_alive "$RPCBIND_PID" || { cat "$GANESHA_STATEDIR/rpcbind.out" >&2; die "rpcbind died"; }
	sleep 0.02
done
[ -S /run/rpcbind.sock ] || die "rpcbind did not come up"

if [ -n "${GANESHA_PRE:-}" ]; then
	bash -c "$GANESHA_PRE" || { echo "run-ganesha: GANESHA_PRE failed" >&2; CMD_RC=125; exit; }
fi

ganesha_start || { CMD_RC=125; exit; }

export NFS_SERVER=127.0.0.1 NFS_EXPORT=/export NFS_URL=nfs://127.0.0.1/export
export NFS_PORT MNT_PORT GANESHA_CTL="$SELF --ctl"

# CMD runs in the background + wait, so that a signal to pid 1 is handled
# at once (bash defers traps while a foreground child runs).
"$@" <&0 &
CMD_PID=$!
wait "$CMD_PID"
CMD_RC=$?
CMD_PID=
exit "$CMD_RC"
