// READLINK, OPEN, READ and RELEASE.
//
// File handles are stateless (DESIGN section 2): fh is the nodeid, and every
// request is resolved from the image, so handles issued by a server that has
// since died keep working.

#include "fuse/op_handlers.h"

#include <fcntl.h>
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

Status DoOpen(fuse_req_t req, fuse_ino_t ino, const fuse_file_info& fi) {
  Server& server = ServerOf(req);
  ASSIGN_OR_RETURN(NodeClaim claim, ClaimFor(ino));
  ASSIGN_OR_RETURN(Attr attr, server.image().GetAttr(claim));
  if (S_ISDIR(attr.mode)) {
    return Status::Error(EISDIR);
  }
  int mask = AccessMaskForFlags(fi.flags);
  if ((mask & W_OK) && server.image().read_only()) {
    return Status::Error(EROFS);
  }
  return server.CheckAccess(req, claim, mask);
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
    fi->keep_cache = 1;
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
