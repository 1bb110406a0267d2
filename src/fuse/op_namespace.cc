// MKNOD, MKDIR, SYMLINK, LINK, CREATE, UNLINK, RMDIR and RENAME.
//
// Creating ops hand the kernel a new entry and count it in the node table
// (op_lookup.cc). Removing ops may leave an inode without links: it stays
// an orphan while the kernel holds it, and is freed at its last FORGET
// (Server::AfterUnlink, Server::Forget).

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <optional>

#include "fuse/node_claim.h"
#include "fuse/op_handlers.h"
#include "fuse/reply.h"
#include "fuse/server.h"

namespace ext4fh {
namespace {

Outcome ToOutcome(const Result<Attr>& attr) {
  if (!attr.ok()) {
    return Outcome{attr.status(), 0};
  }
  return Outcome{OkStatus(), EncodeNodeId(NodeIdFor(*attr))};
}

// The entry a request created: from the run, or (when answered from the
// log) from the image, which must still hold that very inode.
Result<Attr> CreatedEntry(Server& server, const NodeClaim& dir,
                          const char* name, const Outcome& outcome,
                          const std::optional<Attr>& made) {
  RETURN_IF_ERROR(outcome.status);
  if (made) {
    return *made;
  }
  ASSIGN_OR_RETURN(Attr attr, server.image().Lookup(dir, name));
  if (EncodeNodeId(NodeIdFor(attr)) != outcome.nodeid) {
    return Status::Error(ESTALE, "created entry is gone");
  }
  return attr;
}

// RunOnce preconditions (request_log.h): `name` is absent from `dir`, or
// present in it.
Status NameAbsent(Server& server, const NodeClaim& dir, const char* name) {
  Result<Attr> found = server.image().Lookup(dir, name);
  if (found.ok()) {
    return Status::Error(EEXIST);
  }
  return found.err() == ENOENT ? OkStatus() : found.status();
}

Status NamePresent(Server& server, const NodeClaim& dir, const char* name) {
  return server.image().Lookup(dir, name).status();
}

Result<Attr> DoMake(fuse_req_t req, fuse_ino_t parent, const char* name,
                    NewNode node) {
  Server& server = ServerOf(req);
  ASSIGN_OR_RETURN(NodeClaim dir, ClaimFor(parent));
  RETURN_IF_ERROR(server.CheckAccess(req, dir, W_OK | X_OK));
  node.umask = fuse_req_ctx(req)->umask;
  Credentials cred = server.CredentialsOf(req, true);
  std::optional<Attr> made;
  auto absent = [&] { return NameAbsent(server, dir, name); };
  Outcome outcome = RunOnce(server.log(), absent, [&](bool interrupted) {
    Result<Attr> attr = server.image().Make(dir, name, node, cred);
    if (attr.err() == EEXIST && interrupted) {
      // The first run made it: the name is there, with the right type.
      Result<Attr> existing = server.image().Lookup(dir, name);
      if (existing.ok() && ((existing->mode ^ node.mode) & S_IFMT) == 0) {
        attr = existing;
      }
    }
    if (attr.ok()) {
      made = *attr;
    }
    return ToOutcome(attr);
  });
  return CreatedEntry(server, dir, name, outcome, made);
}

void AnswerEntry(Reply& reply, fuse_req_t req, const Result<Attr>& attr) {
  if (!attr.ok()) {
    return reply.Error(attr.status());
  }
  reply.Entry(ServerOf(req).CountedEntry(*attr));
}

// fs.protected_hardlinks (may_linkat), which the VFS checks through the
// kernel's permission code: only with default_permissions does that reach
// the mode bits, so without it the server checks: a non-owner may link
// only to a regular file that is not setuid or setgid-executable and that
// they may read and write.
Status CheckHardlinkSource(fuse_req_t req, const NodeClaim& target) {
  Server& server = ServerOf(req);
  if (server.config().default_permissions) {
    return OkStatus();
  }
  Credentials cred = server.CredentialsOf(req, true);
  ASSIGN_OR_RETURN(Attr attr, server.image().GetAttr(target));
  if (cred.uid == 0 || cred.uid == attr.uid) {
    return OkStatus();
  }
  bool unsafe = !S_ISREG(attr.mode) || (attr.mode & S_ISUID) ||
                (attr.mode & (S_ISGID | S_IXGRP)) == (S_ISGID | S_IXGRP);
  if (unsafe || !server.image().Access(target, cred, R_OK | W_OK).ok()) {
    return Status::Error(EPERM, "protected hardlink");
  }
  return OkStatus();
}

Result<Attr> DoLink(fuse_req_t req, fuse_ino_t ino, fuse_ino_t parent,
                    const char* name) {
  Server& server = ServerOf(req);
  ASSIGN_OR_RETURN(NodeClaim target, ClaimFor(ino));
  ASSIGN_OR_RETURN(NodeClaim dir, ClaimFor(parent));
  RETURN_IF_ERROR(CheckHardlinkSource(req, target));
  RETURN_IF_ERROR(server.CheckAccess(req, dir, W_OK | X_OK));
  std::optional<Attr> made;
  auto absent = [&] { return NameAbsent(server, dir, name); };
  Outcome outcome = RunOnce(server.log(), absent, [&](bool interrupted) {
    Result<Attr> attr = server.image().Link(target, dir, name);
    if (attr.err() == EEXIST && interrupted) {
      Result<Attr> existing = server.image().Lookup(dir, name);
      if (existing.ok() && existing->ino == target.ino()) {
        attr = existing;
      }
    }
    if (attr.ok()) {
      made = *attr;
    }
    return ToOutcome(attr);
  });
  return CreatedEntry(server, dir, name, outcome, made);
}

// A directory that moves to another parent gets a new "..": the mover
// needs write permission on it (vfs_rename), which the kernel checks only
// with default_permissions.
Status CheckMovedDirectory(fuse_req_t req, const NodeClaim& from,
                           std::string_view name, const NodeClaim& to) {
  Server& server = ServerOf(req);
  if (server.config().default_permissions || from.ino() == to.ino()) {
    return OkStatus();
  }
  Result<Attr> moved = server.image().Lookup(from, name);
  if (!moved.ok() || !S_ISDIR(moved->mode)) {
    return OkStatus();
  }
  return server.CheckAccess(req, NodeClaim(NodeIdFor(*moved)), W_OK);
}

Status DoUnlink(fuse_req_t req, fuse_ino_t parent, const char* name,
                bool directory) {
  Server& server = ServerOf(req);
  ASSIGN_OR_RETURN(NodeClaim dir, ClaimFor(parent));
  RETURN_IF_ERROR(server.CheckRemove(req, dir, name));
  auto present = [&] { return NamePresent(server, dir, name); };
  return RunOnce(server.log(), present, [&](bool interrupted) {
           Result<Unlinked> gone = server.image().Unlink(dir, name, directory);
           if (gone.ok()) {
             server.AfterUnlink(*gone);
           } else if (gone.err() == ENOENT && interrupted) {
             return Outcome{};  // the first run removed it
           }
           return Outcome{gone.status(), 0};
         })
      .status;
}

// What the image's Rename needs of the request log: whether an earlier run
// was cut short, its exchange note, and a way to note one.
RenameRun RenameRunFor(Server& server, bool interrupted) {
  RenameRun run;
  run.interrupted = interrupted;
  if (std::optional<RequestLog::Note> note = CurrentNote(server.log())) {
    run.note = ExchangeNote::Unpack(*note);
  }
  run.record = [log = server.log()](const ExchangeNote& note) {
    NoteCurrent(log, note.Pack());
  };
  return run;
}

Status DoRename(fuse_req_t req, fuse_ino_t parent, const char* name,
                fuse_ino_t newparent, const char* newname, unsigned flags) {
  Server& server = ServerOf(req);
  ASSIGN_OR_RETURN(NodeClaim from, ClaimFor(parent));
  ASSIGN_OR_RETURN(NodeClaim to, ClaimFor(newparent));
  RETURN_IF_ERROR(server.CheckRemove(req, from, name));
  RETURN_IF_ERROR(server.CheckRemove(req, to, newname));
  RETURN_IF_ERROR(CheckMovedDirectory(req, from, name, to));
  if (flags & RENAME_EXCHANGE) {
    RETURN_IF_ERROR(CheckMovedDirectory(req, to, newname, from));
  }
  auto present = [&]() -> Status {
    RETURN_IF_ERROR(NamePresent(server, from, name));
    if (flags & RENAME_EXCHANGE) {
      return NamePresent(server, to, newname);
    }
    return OkStatus();
  };
  return RunOnce(server.log(), present, [&](bool interrupted) {
           Result<std::optional<Unlinked>> replaced = server.image().Rename(
               from, name, to, newname, flags, RenameRunFor(server, interrupted));
           if (replaced.ok() && *replaced) {
             server.AfterUnlink(**replaced);
           }
           return Outcome{replaced.status(), 0};
         })
      .status;
}

}  // namespace

void MkNod(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode,
           dev_t rdev) {
  Guarded(req, "mknod", [&](Reply& reply) {
    AnswerEntry(reply, req, DoMake(req, parent, name, NewNode{mode, 0, rdev, {}}));
  });
}

void MkDir(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode) {
  Guarded(req, "mkdir", [&](Reply& reply) {
    NewNode node{S_IFDIR | (mode & 07777), 0, 0, {}};
    AnswerEntry(reply, req, DoMake(req, parent, name, node));
  });
}

void Symlink(fuse_req_t req, const char* target, fuse_ino_t parent,
             const char* name) {
  Guarded(req, "symlink", [&](Reply& reply) {
    NewNode node{S_IFLNK | 0777, 0, 0, target};
    AnswerEntry(reply, req, DoMake(req, parent, name, node));
  });
}

void Link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t parent,
          const char* name) {
  Guarded(req, "link", [&](Reply& reply) {
    AnswerEntry(reply, req, DoLink(req, ino, parent, name));
  });
}

void Create(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode,
            fuse_file_info* fi) {
  Guarded(req, "create", [&](Reply& reply) {
    NewNode node{S_IFREG | (mode & 07777), 0, 0, {}};
    Result<Attr> attr = DoMake(req, parent, name, node);
    if (!attr.ok()) {
      return reply.Error(attr.status());
    }
    fuse_entry_param entry = ServerOf(req).CountedEntry(*attr);
    fi->fh = entry.ino;
    fi->noflush = 1;  // see Open (op_file.cc)
    reply.Create(entry, *fi);
  });
}

void Unlink(fuse_req_t req, fuse_ino_t parent, const char* name) {
  Guarded(req, "unlink", [&](Reply& reply) {
    Status st = DoUnlink(req, parent, name, false);
    st.ok() ? reply.Ok() : reply.Error(st);
  });
}

void RmDir(fuse_req_t req, fuse_ino_t parent, const char* name) {
  Guarded(req, "rmdir", [&](Reply& reply) {
    Status st = DoUnlink(req, parent, name, true);
    st.ok() ? reply.Ok() : reply.Error(st);
  });
}

void Rename(fuse_req_t req, fuse_ino_t parent, const char* name,
            fuse_ino_t newparent, const char* newname, unsigned int flags) {
  Guarded(req, "rename", [&](Reply& reply) {
    Status st = DoRename(req, parent, name, newparent, newname, flags);
    st.ok() ? reply.Ok() : reply.Error(st);
  });
}

}  // namespace ext4fh
