// READLINK, OPEN, READ and RELEASE.
//
// File handles are stateless (DESIGN section 2): fh is the nodeid, and every
// request is resolved from the image, so handles issued by a server that has
// since died keep working.

#include "fuse/op_handlers.h"

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/stat.h>
#include <unistd.h>

#include <vector>

#include "fuse/node_claim.h"
#include "fuse/reply.h"
#include "fuse/server.h"

namespace ext4fh {
namespace {

int AccessMaskForFlags(int flags) {
  switch (flags & O_ACCMODE) {
    case O_WRONLY:
      return W_OK;
    case O_RDWR:
      return R_OK | W_OK;
    default:
      return (flags & O_TRUNC) ? R_OK | W_OK : R_OK;
  }
}

// Immutable files open only for reading; append-only ones for writing
// only with O_APPEND and never with O_TRUNC (ext4_file_open, may_open).
Status CheckOpenFlags(Image& image, const NodeClaim& claim, int flags) {
  ASSIGN_OR_RETURN(uint32_t iflags, image.GetFlags(claim));
  if (iflags & FS_IMMUTABLE_FL) {
    return Status::Error(EPERM, "immutable");
  }
  if ((iflags & FS_APPEND_FL) && (!(flags & O_APPEND) || (flags & O_TRUNC))) {
    return Status::Error(EPERM, "append-only");
  }
  return OkStatus();
}

// O_TRUNC, as handle_truncate does it: with ATOMIC_O_TRUNC the kernel
// leaves it all to the server, the setuid/setgid rule included. The
// kernel's cached mode is then out of date.
Status TruncateOnOpen(fuse_req_t req, fuse_ino_t ino, const NodeClaim& claim,
                      const Attr& attr) {
  Server& server = ServerOf(req);
  Credentials cred =
      server.CredentialsOf(req, NeedsGroupsToDropPrivileges(attr.mode));
  AttrChange truncate;
  truncate.size = 0;
  truncate.mtime = kNow;
  mode_t mode = ModeAfterUnprivilegedWrite(attr.mode, attr.gid, cred);
  if (mode != attr.mode) {
    truncate.mode = mode;
  }
  RETURN_IF_ERROR(server.image().SetAttr(claim, truncate, cred).status());
  if (truncate.mode) {
    server.InvalidateAttr(ino);
  }
  return OkStatus();
}

Status DoOpen(fuse_req_t req, fuse_ino_t ino, fuse_file_info& fi) {
  Server& server = ServerOf(req);
  ASSIGN_OR_RETURN(NodeClaim claim, ClaimFor(ino));
  ASSIGN_OR_RETURN(Attr attr, server.image().GetAttr(claim));
  if (S_ISDIR(attr.mode)) {
    return Status::Error(EISDIR);
  }
  int mask = AccessMaskForFlags(fi.flags);
  if (mask & W_OK) {
    if (server.image().read_only()) {
      return Status::Error(EROFS);
    }
    RETURN_IF_ERROR(CheckOpenFlags(server.image(), claim, fi.flags));
  }
  RETURN_IF_ERROR(server.CheckAccess(req, claim, mask));
  if ((fi.flags & O_TRUNC) && S_ISREG(attr.mode)) {
    RETURN_IF_ERROR(TruncateOnOpen(req, ino, claim, attr));
  }
  // Cached pages are kept unless the next read must update atime: the
  // kernel serves cached reads without telling the server.
  ASSIGN_OR_RETURN(bool atime_due, server.image().AtimeDue(claim));
  fi.keep_cache = !atime_due;
  return OkStatus();
}

Result<size_t> DoRead(fuse_req_t req, fuse_ino_t ino, off_t off,
                      std::vector<char>* buf) {
  ASSIGN_OR_RETURN(NodeClaim claim, ClaimFor(ino));
  return ServerOf(req).image().Read(claim, static_cast<uint64_t>(off), *buf);
}

}  // namespace

void ReadLink(fuse_req_t req, fuse_ino_t ino) {
  Guarded(req, "readlink", [&](Reply& reply) {
    Result<NodeClaim> claim = ClaimFor(ino);
    Result<std::string> target =
        claim.ok() ? ServerOf(req).image().ReadLink(*claim)
                   : Result<std::string>(claim.status());
    target.ok() ? reply.Readlink(*target) : reply.Error(target.status());
  });
}

void Open(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  Guarded(req, "open", [&](Reply& reply) {
    Status st = DoOpen(req, ino, *fi);
    if (!st.ok()) {
      return reply.Error(st);
    }
    fi->fh = ino;
    // FLUSH has nothing to do here (writes are synchronous, and the kernel
    // keeps POSIX locks itself). Without it, close(2) costs no round trip,
    // and a process that closes a file, exec()s or exits while the server
    // restarts does not wait for the new server.
    fi->noflush = 1;
    reply.Open(*fi);
  });
}

void Read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
          fuse_file_info*) {
  Guarded(req, "read", [&](Reply& reply) {
    thread_local std::vector<char> buf;
    buf.resize(size);
    Result<size_t> n = DoRead(req, ino, off, &buf);
    n.ok() ? reply.Buf({buf.data(), *n}) : reply.Error(n.status());
  });
}

void Release(fuse_req_t req, fuse_ino_t, fuse_file_info*) {
  Guarded(req, "release", [&](Reply& reply) { reply.Ok(); });
}

}  // namespace ext4fh
