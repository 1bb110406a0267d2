// GETXATTR, LISTXATTR, SETXATTR and REMOVEXATTR.
//
// Size negotiation as the kernel expects: a request with size 0 asks for the
// length only; a value longer than `size` answers ERANGE.

#include "fuse/op_handlers.h"

#include <sys/xattr.h>
#include <unistd.h>

#include <string>
#include <string_view>
#include <vector>

#include "fuse/node_claim.h"
#include "fuse/reply.h"
#include "fuse/server.h"

namespace ext4fh {
namespace {

constexpr std::string_view kUserPrefix = "user.";

Result<std::string> DoGetXattr(fuse_req_t req, fuse_ino_t ino,
                               std::string_view name) {
  Server& server = ServerOf(req);
  ASSIGN_OR_RETURN(NodeClaim claim, ClaimFor(ino));
  if (name.starts_with(kUserPrefix)) {
    RETURN_IF_ERROR(server.CheckAccess(req, claim, R_OK));
  }
  return server.image().GetXattr(claim, name);
}

Result<std::string> DoListXattr(fuse_req_t req, fuse_ino_t ino) {
  ASSIGN_OR_RETURN(NodeClaim claim, ClaimFor(ino));
  bool privileged = fuse_req_ctx(req)->uid == 0;
  ASSIGN_OR_RETURN(std::vector<std::string> names,
                   ServerOf(req).image().ListXattrs(claim, privileged));
  std::string list;
  for (const std::string& name : names) {
    list.append(name).push_back('\0');
  }
  return list;
}

// Answers `value` under the size rules.
void AnswerSized(Reply& reply, const Result<std::string>& value, size_t size) {
  if (!value.ok()) {
    return reply.Error(value.status());
  }
  if (size == 0) {
    return reply.XattrSize(value->size());
  }
  if (value->size() > size) {
    return reply.Errno(ERANGE);
  }
  reply.Buf(*value);
}

// xattr_permission(): the VFS leaves security.*, system.* and trusted.*
// to the filesystem and capabilities, and asks for write permission for
// everything else, before the name is even resolved.
bool NeedsWritePermission(std::string_view name) {
  return !name.starts_with("security.") && !name.starts_with("system.") &&
         !name.starts_with("trusted.");
}

// The RunOnce precondition (request_log.h) of an XATTR_CREATE: no
// attribute `name` yet.
Status XattrAbsent(Server& server, const NodeClaim& claim,
                   std::string_view name) {
  Result<std::string> found = server.image().GetXattr(claim, name);
  if (found.ok()) {
    return Status::Error(EEXIST);
  }
  return found.err() == ENODATA ? OkStatus() : found.status();
}

Status DoSetXattr(fuse_req_t req, fuse_ino_t ino, std::string_view name,
                  std::string_view value, int flags) {
  Server& server = ServerOf(req);
  ASSIGN_OR_RETURN(NodeClaim claim, ClaimFor(ino));
  if (NeedsWritePermission(name)) {
    RETURN_IF_ERROR(server.CheckAccess(req, claim, W_OK));
  }
  Credentials cred = server.CredentialsOf(req, true);
  auto absent = [&]() -> Status {
    return (flags & XATTR_CREATE) ? XattrAbsent(server, claim, name)
                                  : OkStatus();
  };
  return RunOnce(server.log(), absent, [&](bool interrupted) {
           Status st = server.image().SetXattr(claim, name, value, flags, cred);
           if (st.err() == EEXIST && interrupted) {
             st = OkStatus();  // the first run created it (it was absent)
           }
           return Outcome{st, 0};
         })
      .status;
}

Status DoRemoveXattr(fuse_req_t req, fuse_ino_t ino, std::string_view name) {
  Server& server = ServerOf(req);
  ASSIGN_OR_RETURN(NodeClaim claim, ClaimFor(ino));
  if (NeedsWritePermission(name)) {
    RETURN_IF_ERROR(server.CheckAccess(req, claim, W_OK));
  }
  auto present = [&] { return server.image().GetXattr(claim, name).status(); };
  return RunOnce(server.log(), present, [&](bool interrupted) {
           Status st = server.image().RemoveXattr(claim, name);
           if (st.err() == ENODATA && interrupted) {
             st = OkStatus();  // the first run removed it
           }
           return Outcome{st, 0};
         })
      .status;
}

}  // namespace

void SetXattr(fuse_req_t req, fuse_ino_t ino, const char* name,
              const char* value, size_t size, int flags) {
  Guarded(req, "setxattr", [&](Reply& reply) {
    Status st = DoSetXattr(req, ino, name, {value, size}, flags);
    st.ok() ? reply.Ok() : reply.Error(st);
  });
}

void RemoveXattr(fuse_req_t req, fuse_ino_t ino, const char* name) {
  Guarded(req, "removexattr", [&](Reply& reply) {
    Status st = DoRemoveXattr(req, ino, name);
    st.ok() ? reply.Ok() : reply.Error(st);
  });
}

void GetXattr(fuse_req_t req, fuse_ino_t ino, const char* name, size_t size) {
  Guarded(req, "getxattr", [&](Reply& reply) {
    AnswerSized(reply, DoGetXattr(req, ino, name), size);
  });
}

void ListXattr(fuse_req_t req, fuse_ino_t ino, size_t size) {
  Guarded(req, "listxattr", [&](Reply& reply) {
    AnswerSized(reply, DoListXattr(req, ino), size);
  });
}

}  // namespace ext4fh
