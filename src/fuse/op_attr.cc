// GETATTR, ACCESS and STATFS.

#include "fuse/op_handlers.h"

#include <sys/statvfs.h>

#include "fuse/node_claim.h"
#include "fuse/reply.h"
#include "fuse/server.h"

namespace ext4fh {
namespace {

Result<Attr> DoGetAttr(fuse_req_t req, fuse_ino_t ino) {
  ASSIGN_OR_RETURN(NodeClaim claim, ClaimFor(ino));
  return ServerOf(req).image().GetAttr(claim);
}

Status DoAccess(fuse_req_t req, fuse_ino_t ino, int mask) {
  Server& server = ServerOf(req);
  ASSIGN_OR_RETURN(NodeClaim claim, ClaimFor(ino));
  bool with_groups = mask != F_OK;
  return server.image().Access(claim, server.CredentialsOf(req, with_groups),
                               mask);
}

struct statvfs ToStatvfs(const FsStats& s) {
  struct statvfs st {};
  st.f_bsize = s.block_size;
  st.f_frsize = s.block_size;
  st.f_blocks = s.blocks;
  st.f_bfree = s.blocks_free;
  st.f_bavail = s.blocks_available;
  st.f_files = s.inodes;
  st.f_ffree = s.inodes_free;
  st.f_favail = s.inodes_free;
  st.f_namemax = s.name_max;
  return st;
}

}  // namespace

// The attribute that makes the kernel mark an inode bad (fuse_invalid_attr:
// a mode with no file type).
struct stat InvalidAttr() {
  return {};
}

void GetAttr(fuse_req_t req, fuse_ino_t ino, fuse_file_info*) {
  Guarded(req, "getattr", [&](Reply& reply) {
    if (ServerOf(req).IsMarkedStale(ino)) {
      return reply.Attr(InvalidAttr(), 0);
    }
    Result<Attr> attr = DoGetAttr(req, ino);
    if (!attr.ok()) {
      return reply.Error(attr.status());
    }
    Server& server = ServerOf(req);
    reply.Attr(server.StatFor(*attr), server.config().attr_timeout);
  });
}

void Access(fuse_req_t req, fuse_ino_t ino, int mask) {
  Guarded(req, "access", [&](Reply& reply) {
    Status st = DoAccess(req, ino, mask);
    st.ok() ? reply.Ok() : reply.Error(st);
  });
}

void StatFs(fuse_req_t req, fuse_ino_t) {
  Guarded(req, "statfs", [&](Reply& reply) {
    Result<FsStats> stats = ServerOf(req).image().StatFs();
    stats.ok() ? reply.StatFs(ToStatvfs(*stats)) : reply.Error(stats.status());
  });
}

}  // namespace ext4fh
