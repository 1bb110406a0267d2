// LOOKUP and FORGET.
//
// Lookup counts: every reply that hands the kernel an entry (LOOKUP here,
// READDIRPLUS, and the creating ops) adds one lookup of that nodeid to the
// node table before the reply is sent, once per request even when the
// kernel resends it (request_log.h); FORGET removes what the kernel says
// it dropped. "." and ".." lookups (NFS reconnection, DESIGN section 7) are
// answered from the image like any other name and counted the same way: the
// kernel counts them too. FORGETs for nodeids this server never issued are
// normal after a restart and are ignored.

#include "fuse/op_handlers.h"

#include <unistd.h>

#include <cstring>

#include "fuse/node_claim.h"
#include "fuse/reply.h"
#include "fuse/server.h"

namespace ext4fh {
namespace {

Result<Attr> DoLookup(fuse_req_t req, fuse_ino_t parent, const char* name) {
  if (std::strlen(name) > kMaxNameBytes) {
    return Status::Error(ENAMETOOLONG);
  }
  Server& server = ServerOf(req);
  ASSIGN_OR_RETURN(NodeClaim dir, ClaimFor(parent));
  // Path walks never send "." or "..": only the kernel's export code does,
  // to reconnect a file handle, and it checks no search permission.
  bool reconnect = std::strcmp(name, ".") == 0 || std::strcmp(name, "..") == 0;
  if (!reconnect) {
    RETURN_IF_ERROR(server.CheckAccess(req, dir, X_OK));
  }
  return server.image().Lookup(dir, name);
}

}  // namespace

void Lookup(fuse_req_t req, fuse_ino_t parent, const char* name) {
  Guarded(req, "lookup", [&](Reply& reply) {
    Result<Attr> attr = DoLookup(req, parent, name);
    if (attr.err() == ENOENT) {
      return reply.Entry(ServerOf(req).NegativeEntry());
    }
    if (!attr.ok()) {
      return reply.Error(attr.status());
    }
    reply.Entry(ServerOf(req).CountedEntry(*attr));
  });
}

void Forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup) {
  Guarded(req, "forget", [&](Reply& reply) {
    ServerOf(req).Forget(ino, nlookup);
    reply.None();
  });
}

void ForgetMulti(fuse_req_t req, size_t count, fuse_forget_data* forgets) {
  Guarded(req, "batch_forget", [&](Reply& reply) {
    for (size_t i = 0; i < count; ++i) {
      ServerOf(req).Forget(forgets[i].ino, forgets[i].nlookup);
    }
    reply.None();
  });
}

}  // namespace ext4fh
