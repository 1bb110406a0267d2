/*
 * nfsh - tiny NFSv3 "raw file handle" client built on libnfs' raw RPC API.
 *
 * Purpose: obtain an NFSv3 file handle once (MOUNT + LOOKUP), store it as
 * hex, and later -- in a new process, possibly after the NFS server and/or
 * the file system behind it restarted -- use that OLD handle directly for
 * GETATTR / READ / WRITE / SETATTR(size) / LOOKUP-in-dir / CREATE, without
 * resolving any name again.
 *
 * Build:
 *   gcc -O2 -Wall -Wextra -o nfsh nfsh.c $(pkg-config --cflags --libs libnfs)
 *
 * Usage (see usage() below):
 *   nfsh [opts] mount    SERVER EXPORT                  -> root handle hex
 *   nfsh [opts] lookup   SERVER EXPORT PATH             -> handle hex
 *   nfsh [opts] lookupat SERVER DIRHANDLE NAME          -> handle hex
 *   nfsh [opts] getattr  SERVER HANDLE                  -> attrs (key=value)
 *   nfsh [opts] read     SERVER HANDLE OFFSET COUNT     -> raw bytes on stdout
 *   nfsh [opts] write    SERVER HANDLE OFFSET DATA|-    -> bytes written
 *   nfsh [opts] truncate SERVER HANDLE SIZE
 *   nfsh [opts] create   SERVER DIRHANDLE NAME [MODE]   -> handle hex
 *
 * HANDLE may be given as hex, or as @FILE (file containing the hex).
 * An EXPORT argument is only needed by mount/lookup (they speak the MOUNT
 * protocol, which needs rpcbind to find mountd). Every handle-based
 * subcommand talks to the NFS port directly (default 2049, no rpcbind, no
 * MOUNT call) -- exactly what a client holding an old handle does.
 *
 * Exit status: 0 ok; 1 other NFS-level error; 2 RPC/connection error or
 * timeout; 3 NFS3ERR_STALE; 4 NFS3ERR_BADHANDLE; 64 usage. The nfsstat3
 * name and number are always printed on stderr, e.g.
 *   "nfsh: READ3: NFS3ERR_STALE (70)".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <nfsc/libnfs.h>
#include <nfsc/libnfs-raw.h>
#include <nfsc/libnfs-raw-mount.h>
#include <nfsc/libnfs-raw-nfs.h>

/* exported by libnfs 4.0 but not declared in its public headers */
extern void rpc_set_debug(struct rpc_context *rpc, int level);

static int opt_port = 2049;      /* NFS port for handle-based ops; 0 = ask rpcbind */
static int opt_timeout_ms = 10000;
static int opt_verbose = 0;

/* ------------------------------------------------------------------ */
/* synchronous wrapper around the async raw API                        */

struct waiter {
	int done;
	int status;          /* RPC_STATUS_* */
	void *data;          /* result body (valid only inside callback!) */
	void (*copy)(struct waiter *w, void *data); /* copy result out */
	char errbuf[512];
	void *out;           /* user storage for copy() */
};

static void generic_cb(struct rpc_context *rpc, int status, void *data,
		       void *private_data)
{
	struct waiter *w = private_data;
	(void)rpc;
	w->status = status;
	if (status == RPC_STATUS_SUCCESS) {
		if (w->copy)
			w->copy(w, data);
	} else if (status == RPC_STATUS_ERROR && data) {
		snprintf(w->errbuf, sizeof(w->errbuf), "%s", (char *)data);
	} else if (status == RPC_STATUS_TIMEOUT) {
		snprintf(w->errbuf, sizeof(w->errbuf), "rpc timeout");
	} else if (status == RPC_STATUS_CANCEL) {
		snprintf(w->errbuf, sizeof(w->errbuf), "rpc cancelled");
	}
	w->done = 1;
}

static long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* Drive the event loop until w->done. Returns 0 ok, -1 on error/timeout. */
static int wait_for(struct rpc_context *rpc, struct waiter *w, const char *what)
{
	long deadline = now_ms() + opt_timeout_ms;
	while (!w->done) {
		struct pollfd pfd = {
			.fd = rpc_get_fd(rpc),
			.events = (short)rpc_which_events(rpc),
		};
		long left = deadline - now_ms();
		if (left <= 0) {
			fprintf(stderr, "nfsh: %s: timed out after %d ms\n",
				what, opt_timeout_ms);
			return -1;
		}
		int r = poll(&pfd, 1, left > 100 ? 100 : (int)left);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			perror("poll");
			return -1;
		}
		if (rpc_service(rpc, r > 0 ? pfd.revents : 0) < 0) {
			if (!w->done) {
				fprintf(stderr, "nfsh: %s: rpc_service failed: %s\n",
					what, rpc_get_error(rpc));
				return -1;
			}
		}
	}
	if (w->status != RPC_STATUS_SUCCESS) {
		fprintf(stderr, "nfsh: %s: %s\n", what,
			w->errbuf[0] ? w->errbuf : rpc_get_error(rpc));
		return -1;
	}
	return 0;
}

static struct rpc_context *new_rpc(void)
{
	struct rpc_context *rpc = rpc_init_context();
	if (!rpc) {
		fprintf(stderr, "nfsh: rpc_init_context failed\n");
		exit(2);
	}
	if (opt_verbose)
		rpc_set_debug(rpc, opt_verbose);
	/* AUTH_SYS with our own uid/gid (root here); libnfs default */
	return rpc;
}

/* Connect rpc to PROGRAM/VERSION on server. port>0: direct, else rpcbind. */
static int connect_prog(struct rpc_context *rpc, const char *server, int port,
			int program, int version, const char *what)
{
	struct waiter w = {0};
	int r;
	if (port > 0)
		r = rpc_connect_port_async(rpc, server, port, program, version,
					   generic_cb, &w);
	else
		r = rpc_connect_program_async(rpc, server, program, version,
					      generic_cb, &w);
	if (r != 0) {
		fprintf(stderr, "nfsh: %s: connect failed: %s\n", what,
			rpc_get_error(rpc));
		return -1;
	}
	return wait_for(rpc, &w, what);
}

/* ------------------------------------------------------------------ */
/* handles <-> hex                                                     */

struct fh {
	unsigned len;
	char data[NFS3_FHSIZE];
};

static void fh_print(const struct fh *fh)
{
	for (unsigned i = 0; i < fh->len; i++)
		printf("%02x", (unsigned char)fh->data[i]);
	printf("\n");
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9') return c - '0';
	if (c >= 'a' && c <= 'f') return c - 'a' + 10;
	if (c >= 'A' && c <= 'F') return c - 'A' + 10;
	return -1;
}

static void fh_parse(const char *arg, struct fh *fh)
{
	char buf[4 * NFS3_FHSIZE + 16];
	const char *s = arg;
	if (arg[0] == '@') {
		FILE *f = fopen(arg + 1, "r");
		if (!f) {
			perror(arg + 1);
			exit(64);
		}
		size_t n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		buf[n] = 0;
		s = buf;
	}
	fh->len = 0;
	int hi = -1;
	for (; *s; s++) {
		if (*s == ' ' || *s == '\n' || *s == '\r' || *s == '\t' || *s == ':')
			continue;
		int v = hexval(*s);
		if (v < 0) {
			fprintf(stderr, "nfsh: bad hex in handle\n");
			exit(64);
		}
		if (hi < 0) {
			hi = v;
		} else {
			if (fh->len >= NFS3_FHSIZE) {
				fprintf(stderr, "nfsh: handle longer than %d bytes\n",
					NFS3_FHSIZE);
				exit(64);
			}
			fh->data[fh->len++] = (char)(hi << 4 | v);
			hi = -1;
		}
	}
	if (hi >= 0 || fh->len == 0) {
		fprintf(stderr, "nfsh: empty or odd-length handle\n");
		exit(64);
	}
}

static nfs_fh3 fh3(struct fh *fh)
{
	nfs_fh3 r;
	r.data.data_len = fh->len;
	r.data.data_val = fh->data;
	return r;
}

static int nfs_err(const char *what, int st)
{
	fprintf(stderr, "nfsh: %s: %s (%d)\n", what, nfsstat3_to_str(st), st);
	if (st == NFS3ERR_STALE)
		return 3;
	if (st == NFS3ERR_BADHANDLE)
		return 4;
	return 1;
}

/* ------------------------------------------------------------------ */
/* MOUNT                                                               */

struct mnt_out {
	int st;
	struct fh fh;
};

static void mnt_copy(struct waiter *w, void *data)
{
	mountres3 *res = data;
	struct mnt_out *o = w->out;
	o->st = res->fhs_status;
	if (res->fhs_status == MNT3_OK) {
		fhandle3 *h = &res->mountres3_u.mountinfo.fhandle;
		o->fh.len = h->fhandle3_len;
		memcpy(o->fh.data, h->fhandle3_val, h->fhandle3_len);
	}
}

/* returns 0 and root handle, or exit code */
static int do_mount(const char *server, const char *export, struct fh *root)
{
	struct rpc_context *rpc = new_rpc();
	/* MOUNT always goes through rpcbind (port 111) to find mountd */
	if (connect_prog(rpc, server, 0, MOUNT_PROGRAM, MOUNT_V3,
			 "connect mountd") < 0) {
		rpc_destroy_context(rpc);
		return 2;
	}
	struct mnt_out o = {0};
	struct waiter w = {0};
	w.copy = mnt_copy;
	w.out = &o;
	if (rpc_mount3_mnt_async(rpc, generic_cb, (char *)export, &w) != 0) {
		fprintf(stderr, "nfsh: mnt: %s\n", rpc_get_error(rpc));
		rpc_destroy_context(rpc);
		return 2;
	}
	int r = wait_for(rpc, &w, "MOUNT3 MNT");
	rpc_destroy_context(rpc);
	if (r < 0)
		return 2;
	if (o.st != MNT3_OK) {
		fprintf(stderr, "nfsh: MOUNT3 MNT %s: mountstat3 %d\n", export,
			o.st);
		return 1;
	}
	*root = o.fh;
	return 0;
}

/* ------------------------------------------------------------------ */
/* NFS3 ops                                                            */

static struct rpc_context *nfs_connect(const char *server)
{
	struct rpc_context *rpc = new_rpc();
	if (connect_prog(rpc, server, opt_port, NFS_PROGRAM, NFS_V3,
			 "connect nfs") < 0) {
		rpc_destroy_context(rpc);
		exit(2);
	}
	return rpc;
}

struct lookup_out {
	int st;
	struct fh fh;
};

static void lookup_copy(struct waiter *w, void *data)
{
	LOOKUP3res *res = data;
	struct lookup_out *o = w->out;
	o->st = res->status;
	if (res->status == NFS3_OK) {
		nfs_fh3 *h = &res->LOOKUP3res_u.resok.object;
		o->fh.len = h->data.data_len;
		memcpy(o->fh.data, h->data.data_val, h->data.data_len);
	}
}

/* one LOOKUP; returns 0 or exit code */
static int lookup1(struct rpc_context *rpc, struct fh *dir, const char *name,
		   struct fh *out)
{
	LOOKUP3args a;
	memset(&a, 0, sizeof(a));
	a.what.dir = fh3(dir);
	a.what.name = (char *)name;
	struct lookup_out o = {0};
	struct waiter w = {0};
	w.copy = lookup_copy;
	w.out = &o;
	if (rpc_nfs3_lookup_async(rpc, generic_cb, &a, &w) != 0)
		return 2;
	if (wait_for(rpc, &w, "LOOKUP3") < 0)
		return 2;
	if (o.st != NFS3_OK)
		return nfs_err(name, o.st);
	*out = o.fh;
	return 0;
}

static const char *ftype_str(int t)
{
	switch (t) {
	case NF3REG: return "REG";
	case NF3DIR: return "DIR";
	case NF3BLK: return "BLK";
	case NF3CHR: return "CHR";
	case NF3LNK: return "LNK";
	case NF3SOCK: return "SOCK";
	case NF3FIFO: return "FIFO";
	}
	return "?";
}

struct getattr_out {
	int st;
	fattr3 a;
};

static void getattr_copy(struct waiter *w, void *data)
{
	GETATTR3res *res = data;
	struct getattr_out *o = w->out;
	o->st = res->status;
	if (res->status == NFS3_OK)
		o->a = res->GETATTR3res_u.resok.obj_attributes;
}

static int cmd_getattr(const char *server, struct fh *fh)
{
	struct rpc_context *rpc = nfs_connect(server);
	GETATTR3args a;
	memset(&a, 0, sizeof(a));
	a.object = fh3(fh);
	struct getattr_out o = {0};
	struct waiter w = {0};
	w.copy = getattr_copy;
	w.out = &o;
	if (rpc_nfs3_getattr_async(rpc, generic_cb, &a, &w) != 0 ||
	    wait_for(rpc, &w, "GETATTR3") < 0) {
		rpc_destroy_context(rpc);
		return 2;
	}
	rpc_destroy_context(rpc);
	if (o.st != NFS3_OK)
		return nfs_err("GETATTR3", o.st);
	fattr3 *f = &o.a;
	printf("type=%s mode=%04o nlink=%u uid=%u gid=%u size=%llu used=%llu "
	       "fsid=0x%llx fileid=%llu atime=%u.%09u mtime=%u.%09u ctime=%u.%09u\n",
	       ftype_str(f->type), f->mode & 07777, f->nlink, f->uid, f->gid,
	       (unsigned long long)f->size, (unsigned long long)f->used,
	       (unsigned long long)f->fsid, (unsigned long long)f->fileid,
	       f->atime.seconds, f->atime.nseconds, f->mtime.seconds,
	       f->mtime.nseconds, f->ctime.seconds, f->ctime.nseconds);
	return 0;
}

struct read_out {
	int st;
	char *buf;
	unsigned count;
	int eof;
};

static void read_copy(struct waiter *w, void *data)
{
	READ3res *res = data;
	struct read_out *o = w->out;
	o->st = res->status;
	if (res->status == NFS3_OK) {
		READ3resok *ok = &res->READ3res_u.resok;
		o->count = ok->data.data_len;
		o->eof = ok->eof;
		o->buf = malloc(o->count ? o->count : 1);
		memcpy(o->buf, ok->data.data_val, o->count);
	}
}

static int cmd_read(const char *server, struct fh *fh, uint64_t off,
		    uint64_t count)
{
	struct rpc_context *rpc = nfs_connect(server);
	int rc = 0;
	/* loop in chunks of <= 1 MiB until count bytes or EOF */
	while (count > 0) {
		READ3args a;
		memset(&a, 0, sizeof(a));
		a.file = fh3(fh);
		a.offset = off;
		a.count = count > (1u << 20) ? (1u << 20) : (count3)count;
		struct read_out o = {0};
		struct waiter w = {0};
		w.copy = read_copy;
		w.out = &o;
		if (rpc_nfs3_read_async(rpc, generic_cb, &a, &w) != 0 ||
		    wait_for(rpc, &w, "READ3") < 0) {
			rc = 2;
			break;
		}
		if (o.st != NFS3_OK) {
			rc = nfs_err("READ3", o.st);
			break;
		}
		if (o.count && fwrite(o.buf, 1, o.count, stdout) != o.count) {
			perror("write stdout");
			rc = 2;
		}
		free(o.buf);
		off += o.count;
		count -= o.count;
		if (o.eof || o.count == 0 || rc)
			break;
	}
	fflush(stdout);
	rpc_destroy_context(rpc);
	return rc;
}

struct write_out {
	int st;
	unsigned count;
	int committed;
};

static void write_copy(struct waiter *w, void *data)
{
	WRITE3res *res = data;
	struct write_out *o = w->out;
	o->st = res->status;
	if (res->status == NFS3_OK) {
		o->count = res->WRITE3res_u.resok.count;
		o->committed = res->WRITE3res_u.resok.committed;
	}
}

static int cmd_write(const char *server, struct fh *fh, uint64_t off,
		     char *buf, size_t len)
{
	struct rpc_context *rpc = nfs_connect(server);
	size_t done = 0;
	int rc = 0;
	while (done < len) {
		WRITE3args a;
		memset(&a, 0, sizeof(a));
		a.file = fh3(fh);
		a.offset = off + done;
		size_t n = len - done > (1u << 20) ? (1u << 20) : len - done;
		a.count = (count3)n;
		a.stable = FILE_SYNC;
		a.data.data_len = (u_int)n;
		a.data.data_val = buf + done;
		struct write_out o = {0};
		struct waiter w = {0};
		w.copy = write_copy;
		w.out = &o;
		if (rpc_nfs3_write_async(rpc, generic_cb, &a, &w) != 0 ||
		    wait_for(rpc, &w, "WRITE3") < 0) {
			rc = 2;
			break;
		}
		if (o.st != NFS3_OK) {
			rc = nfs_err("WRITE3", o.st);
			break;
		}
		if (o.count == 0) {
			fprintf(stderr, "nfsh: WRITE3 wrote 0 bytes\n");
			rc = 2;
			break;
		}
		done += o.count;
	}
	rpc_destroy_context(rpc);
	if (rc == 0)
		printf("%zu\n", done);
	return rc;
}

struct st_out {
	int st;
	struct fh fh;
	int have_fh;
};

static void setattr_copy(struct waiter *w, void *data)
{
	SETATTR3res *res = data;
	struct st_out *o = w->out;
	o->st = res->status;
}

static int cmd_truncate(const char *server, struct fh *fh, uint64_t size)
{
	struct rpc_context *rpc = nfs_connect(server);
	SETATTR3args a;
	memset(&a, 0, sizeof(a));
	a.object = fh3(fh);
	a.new_attributes.size.set_it = 1;
	a.new_attributes.size.set_size3_u.size = size;
	struct st_out o = {0};
	struct waiter w = {0};
	w.copy = setattr_copy;
	w.out = &o;
	if (rpc_nfs3_setattr_async(rpc, generic_cb, &a, &w) != 0 ||
	    wait_for(rpc, &w, "SETATTR3") < 0) {
		rpc_destroy_context(rpc);
		return 2;
	}
	rpc_destroy_context(rpc);
	if (o.st != NFS3_OK)
		return nfs_err("SETATTR3", o.st);
	return 0;
}

static void create_copy(struct waiter *w, void *data)
{
	CREATE3res *res = data;
	struct st_out *o = w->out;
	o->st = res->status;
	if (res->status == NFS3_OK &&
	    res->CREATE3res_u.resok.obj.handle_follows) {
		nfs_fh3 *h = &res->CREATE3res_u.resok.obj.post_op_fh3_u.handle;
		o->fh.len = h->data.data_len;
		memcpy(o->fh.data, h->data.data_val, h->data.data_len);
		o->have_fh = 1;
	}
}

static int cmd_create(const char *server, struct fh *dir, const char *name,
		      int mode)
{
	struct rpc_context *rpc = nfs_connect(server);
	CREATE3args a;
	memset(&a, 0, sizeof(a));
	a.where.dir = fh3(dir);
	a.where.name = (char *)name;
	a.how.mode = UNCHECKED;
	a.how.createhow3_u.obj_attributes.mode.set_it = 1;
	a.how.createhow3_u.obj_attributes.mode.set_mode3_u.mode = mode;
	struct st_out o = {0};
	struct waiter w = {0};
	w.copy = create_copy;
	w.out = &o;
	if (rpc_nfs3_create_async(rpc, generic_cb, &a, &w) != 0 ||
	    wait_for(rpc, &w, "CREATE3") < 0) {
		rpc_destroy_context(rpc);
		return 2;
	}
	int rc = 0;
	if (o.st != NFS3_OK) {
		rc = nfs_err("CREATE3", o.st);
	} else if (o.have_fh) {
		fh_print(&o.fh);
	} else {
		/* server did not return a handle: look it up */
		struct fh out;
		rc = lookup1(rpc, dir, name, &out);
		if (rc == 0)
			fh_print(&out);
	}
	rpc_destroy_context(rpc);
	return rc;
}

/* ------------------------------------------------------------------ */

static void die_usage(void)
{
	fprintf(stderr,
"usage: nfsh [-p NFSPORT|-p 0] [-t TIMEOUT_MS] [-v] CMD ...\n"
"  mount    SERVER EXPORT               print root handle (MOUNT3, via rpcbind)\n"
"  lookup   SERVER EXPORT PATH          MOUNT3 + LOOKUP3 per component, print handle\n"
"  lookupat SERVER DIRHANDLE NAME       LOOKUP3 NAME in DIRHANDLE, print handle\n"
"  getattr  SERVER HANDLE               GETATTR3\n"
"  read     SERVER HANDLE OFFSET COUNT  READ3, raw data to stdout\n"
"  write    SERVER HANDLE OFFSET DATA   WRITE3 FILE_SYNC (DATA '-' = stdin)\n"
"  truncate SERVER HANDLE SIZE          SETATTR3 size\n"
"  create   SERVER DIRHANDLE NAME [MODE] CREATE3 UNCHECKED, print handle\n"
"HANDLE is hex or @file. -p: NFS port for handle ops (default 2049;\n"
"0 = ask rpcbind). -t: per-call timeout (default 10000 ms).\n"
"exit: 0 ok, 1 NFS error, 2 RPC/connect error, 3 STALE, 4 BADHANDLE, 64 usage\n");
	exit(64);
}

static uint64_t parse_u64(const char *s)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 0);
	if (errno || *end || end == s) {
		fprintf(stderr, "nfsh: bad number '%s'\n", s);
		exit(64);
	}
	return v;
}

int main(int argc, char **argv)
{
	int c;
	while ((c = getopt(argc, argv, "+p:t:sv")) != -1) {
		switch (c) {
		case 'p': opt_port = (int)parse_u64(optarg); break;
		case 't': opt_timeout_ms = (int)parse_u64(optarg); break;
		case 's': break; /* accepted for compatibility, no effect */
		case 'v': opt_verbose++; break;
		default: die_usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 2)
		die_usage();
	const char *cmd = argv[0];
	const char *server = argv[1];
	struct fh fh, out;
	int rc;

	if (!strcmp(cmd, "mount") && argc == 3) {
		rc = do_mount(server, argv[2], &fh);
		if (rc == 0)
			fh_print(&fh);
		return rc;
	}
	if (!strcmp(cmd, "lookup") && argc == 4) {
		rc = do_mount(server, argv[2], &fh);
		if (rc)
			return rc;
		struct rpc_context *rpc = nfs_connect(server);
		char *path = strdup(argv[3]);
		char *save = NULL;
		for (char *comp = strtok_r(path, "/", &save); comp;
		     comp = strtok_r(NULL, "/", &save)) {
			rc = lookup1(rpc, &fh, comp, &out);
			if (rc) {
				rpc_destroy_context(rpc);
				return rc;
			}
			fh = out;
		}
		rpc_destroy_context(rpc);
		fh_print(&fh);
		return 0;
	}
	if (!strcmp(cmd, "lookupat") && argc == 4) {
		fh_parse(argv[2], &fh);
		struct rpc_context *rpc = nfs_connect(server);
		rc = lookup1(rpc, &fh, argv[3], &out);
		rpc_destroy_context(rpc);
		if (rc == 0)
			fh_print(&out);
		return rc;
	}
	if (!strcmp(cmd, "getattr") && argc == 3) {
		fh_parse(argv[2], &fh);
		return cmd_getattr(server, &fh);
	}
	if (!strcmp(cmd, "read") && argc == 5) {
		fh_parse(argv[2], &fh);
		return cmd_read(server, &fh, parse_u64(argv[3]),
				parse_u64(argv[4]));
	}
	if (!strcmp(cmd, "write") && argc == 5) {
		fh_parse(argv[2], &fh);
		char *buf;
		size_t len;
		if (!strcmp(argv[4], "-")) {
			size_t cap = 65536;
			buf = malloc(cap);
			len = 0;
			size_t n;
			while ((n = fread(buf + len, 1, cap - len, stdin)) > 0) {
				len += n;
				if (len == cap)
					buf = realloc(buf, cap *= 2);
			}
		} else {
			buf = argv[4];
			len = strlen(buf);
		}
		return cmd_write(server, &fh, parse_u64(argv[3]), buf, len);
	}
	if (!strcmp(cmd, "truncate") && argc == 4) {
		fh_parse(argv[2], &fh);
		return cmd_truncate(server, &fh, parse_u64(argv[3]));
	}
	if (!strcmp(cmd, "create") && (argc == 4 || argc == 5)) {
		fh_parse(argv[2], &fh);
		return cmd_create(server, &fh, argv[3],
				  argc == 5 ? (int)strtol(argv[4], NULL, 8) : 0644);
	}
	die_usage();
	return 64;
}
