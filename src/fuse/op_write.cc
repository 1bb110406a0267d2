// SETATTR, WRITE, FLUSH, FSYNC, FALLOCATE, LSEEK and COPY_FILE_RANGE.
//
// Every change reaches the image file before its reply (image/commit.h),
// so FLUSH has nothing left to do and FSYNC only has to make the image
// file durable. WRITE uses the offset the kernel sends, also for O_APPEND:
// the kernel computes it from its own i_size, which is exact because every
// change goes through it; and a WRITE the kernel resends after a restart
// then lands on the same bytes instead of appending twice.

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <vector>

#include "fuse/node_claim.h"
#include "fuse/op_handlers.h"
#include "fuse/reply.h"
#include "fuse/server.h"
#include "util/fault.h"

namespace ext4fh {
namespace {

AttrChange ChangeFrom(const struct stat& attr, int to_set) {
  AttrChange c;
  if (to_set & FUSE_SET_ATTR_MODE) {
    c.mode = attr.st_mode;
  }
  if (to_set & FUSE_SET_ATTR_UID) {
    c.uid = attr.st_uid;
  }
  if (to_set & FUSE_SET_ATTR_GID) {
    c.gid = attr.st_gid;
  }
  if (to_set & FUSE_SET_ATTR_SIZE) {
    c.size = static_cast<uint64_t>(attr.st_size);
  }
  if (to_set & FUSE_SET_ATTR_ATIME_NOW) {
    c.atime = kNow;
  } else if (to_set & FUSE_SET_ATTR_ATIME) {
    c.atime = attr.st_atim;
  }
  if (to_set & FUSE_SET_ATTR_MTIME_NOW) {
    c.mtime = kNow;
  } else if (to_set & FUSE_SET_ATTR_MTIME) {
    c.mtime = attr.st_mtim;
  }
  return c;
}

// Whether `to` is `from` without some of its setuid and setgid bits and
// nothing else changed: the mode change the kernel makes itself after a
// write or truncate (no FUSE_HANDLE_KILLPRIV), which anyone may make. It
// clears setuid, and setgid only with group-exec (fuse_setattr).
bool KillsPrivileges(mode_t from, mode_t to) {
  mode_t removed = (from & 07777) & ~(to & 07777);
  return removed != 0 && (removed & ~(S_ISUID | S_ISGID)) == 0 &&
         ((from & 07777) & ~removed) == (to & 07777);
}

// The checks of setattr_prepare, for mounts without default_permissions.
Status CheckSetAttr(fuse_req_t req, const NodeClaim& claim,
                    const AttrChange& c) {
  Server& server = ServerOf(req);
  if (server.config().default_permissions) {
    return OkStatus();
  }
  Credentials cred = server.CredentialsOf(req, true);
  ASSIGN_OR_RETURN(Attr attr, server.image().GetAttr(claim));
  const bool root = cred.uid == 0;
  const bool owner = root || cred.uid == attr.uid;
  if (c.size) {  // do_truncate checks write permission first
    RETURN_IF_ERROR(server.CheckAccess(req, claim, W_OK));
  }
  if ((c.mode && !owner && !KillsPrivileges(attr.mode, *c.mode)) ||
      (c.uid && !root && *c.uid != attr.uid) ||
      (c.gid && !root && (!owner || !cred.InGroup(*c.gid)))) {
    return Status::Error(EPERM);
  }
  if ((c.atime || c.mtime) && !owner) {
    // utimensat(NULL) or (UTIME_NOW, UTIME_NOW), the only change of times
    // a writer who is not the owner may make, arrives as both *_NOW.
    bool touch = c.atime && c.mtime && c.atime->tv_nsec == UTIME_NOW &&
                 c.mtime->tv_nsec == UTIME_NOW;
    if (!touch) {
      return Status::Error(EPERM);
    }
    return server.CheckAccess(req, claim, W_OK);
  }
  return OkStatus();
}

// A write by someone who is not root drops setgid without group-exec
// when the writer is not in the file's group (setattr_should_drop_sgid).
// The kernel's FUSE code knows only the older rule (group-exec), and sends
// nothing for this case; setuid and setgid with group-exec it clears with
// a SETATTR of its own before the WRITE.
Status DropSetgidBeforeWrite(fuse_req_t req, fuse_ino_t ino,
                             const NodeClaim& claim) {
  Server& server = ServerOf(req);
  if (fuse_req_ctx(req)->uid == 0) {
    return OkStatus();
  }
  ASSIGN_OR_RETURN(Attr attr, server.image().GetAttr(claim));
  if (!NeedsGroupsToDropPrivileges(attr.mode)) {
    return OkStatus();
  }
  Credentials cred = server.CredentialsOf(req, true);
  mode_t mode = ModeAfterUnprivilegedWrite(attr.mode, attr.gid, cred);
  if (mode == attr.mode) {
    return OkStatus();
  }
  AttrChange change;
  change.mode = mode;
  RETURN_IF_ERROR(server.image().SetAttr(claim, change, cred).status());
  server.InvalidateAttr(ino);
  return OkStatus();
}

Result<Attr> DoSetAttr(fuse_req_t req, fuse_ino_t ino, const struct stat& st,
                       int to_set) {
  Server& server = ServerOf(req);
  ASSIGN_OR_RETURN(NodeClaim claim, ClaimFor(ino));
  AttrChange change = ChangeFrom(st, to_set);
  RETURN_IF_ERROR(CheckSetAttr(req, claim, change));
  if (change.size) {
    RETURN_IF_ERROR(DropSetgidBeforeWrite(req, ino, claim));
  }
  bool groups = change.mode.has_value();
  return server.image().SetAttr(claim, change,
                                server.CredentialsOf(req, groups));
}

Result<size_t> DoWrite(fuse_req_t req, fuse_ino_t ino, const char* buf,
                       size_t size, off_t off) {
  Server& server = ServerOf(req);
  ASSIGN_OR_RETURN(NodeClaim claim, ClaimFor(ino));
  RETURN_IF_ERROR(DropSetgidBeforeWrite(req, ino, claim));
  Result<size_t> n = server.image().Write(claim, static_cast<uint64_t>(off),
                                          {buf, size},
                                          server.CredentialsOf(req, false));
  CrashPoint("before-write-reply");
  return n;
}

Status DoFallocate(fuse_req_t req, fuse_ino_t ino, int mode, off_t offset,
                   off_t length) {
  ASSIGN_OR_RETURN(NodeClaim claim, ClaimFor(ino));
  if (offset < 0 || length <= 0) {
    return Status::Error(EINVAL);
  }
  return ServerOf(req).image().Fallocate(claim, mode,
                                         static_cast<uint64_t>(offset),
                                         static_cast<uint64_t>(length));
}

Result<uint64_t> DoLseek(fuse_req_t req, fuse_ino_t ino, off_t off,
                         int whence) {
  ASSIGN_OR_RETURN(NodeClaim claim, ClaimFor(ino));
  if (off < 0) {
    return Status::Error(ENXIO);
  }
  return ServerOf(req).image().Seek(claim, static_cast<uint64_t>(off), whence);
}

// Copies through a buffer: ext4 has no shared extents to clone into.
Result<size_t> DoCopy(fuse_req_t req, fuse_ino_t in, off_t off_in,
                      fuse_ino_t out, off_t off_out, size_t len) {
  constexpr size_t kChunk = 1 << 20;
  Server& server = ServerOf(req);
  ASSIGN_OR_RETURN(NodeClaim src, ClaimFor(in));
  ASSIGN_OR_RETURN(NodeClaim dst, ClaimFor(out));
  Credentials cred = server.CredentialsOf(req, false);
  ASSIGN_OR_RETURN(len, server.image().WritableLength(dst, off_out, len));
  std::vector<char> buf(std::min(len, kChunk));
  size_t done = 0;
  while (done < len) {
    size_t want = std::min(len - done, kChunk);
    ASSIGN_OR_RETURN(size_t got, server.image().Read(src, off_in + done,
                                                     {buf.data(), want}));
    if (got == 0) {
      break;
    }
    ASSIGN_OR_RETURN(size_t put, server.image().Write(dst, off_out + done,
                                                      {buf.data(), got}, cred));
    done += put;
    if (put < got) {
      break;
    }
  }
  return done;
}

}  // namespace

void SetAttr(fuse_req_t req, fuse_ino_t ino, struct stat* attr, int to_set,
             fuse_file_info*) {
  Guarded(req, "setattr", [&](Reply& reply) {
    Result<Attr> result = DoSetAttr(req, ino, *attr, to_set);
    if (!result.ok()) {
      return reply.Error(result.status());
    }
    Server& server = ServerOf(req);
    reply.Attr(server.StatFor(*result), server.config().attr_timeout);
  });
}

void Write(fuse_req_t req, fuse_ino_t ino, const char* buf, size_t size,
           off_t off, fuse_file_info*) {
  Guarded(req, "write", [&](Reply& reply) {
    Result<size_t> n = DoWrite(req, ino, buf, size, off);
    n.ok() ? reply.Write(*n) : reply.Error(n.status());
  });
}

void Flush(fuse_req_t req, fuse_ino_t, fuse_file_info*) {
  Guarded(req, "flush", [&](Reply& reply) { reply.Ok(); });
}

void Fsync(fuse_req_t req, fuse_ino_t, int, fuse_file_info*) {
  Guarded(req, "fsync", [&](Reply& reply) {
    Status st = ServerOf(req).image().Sync();
    st.ok() ? reply.Ok() : reply.Error(st);
  });
}

void Fallocate(fuse_req_t req, fuse_ino_t ino, int mode, off_t offset,
               off_t length, fuse_file_info*) {
  Guarded(req, "fallocate", [&](Reply& reply) {
    Status st = DoFallocate(req, ino, mode, offset, length);
    st.ok() ? reply.Ok() : reply.Error(st);
  });
}

void Lseek(fuse_req_t req, fuse_ino_t ino, off_t off, int whence,
           fuse_file_info*) {
  Guarded(req, "lseek", [&](Reply& reply) {
    Result<uint64_t> pos = DoLseek(req, ino, off, whence);
    pos.ok() ? reply.Lseek(static_cast<off_t>(*pos)) : reply.Error(pos.status());
  });
}

void CopyFileRange(fuse_req_t req, fuse_ino_t ino_in, off_t off_in,
                   fuse_file_info*, fuse_ino_t ino_out, off_t off_out,
                   fuse_file_info*, size_t len, int) {
  Guarded(req, "copy_file_range", [&](Reply& reply) {
    Result<size_t> n = DoCopy(req, ino_in, off_in, ino_out, off_out, len);
    if (n.ok()) {
      ServerOf(req).InvalidateAttr(ino_in);  // the read moved its atime
    }
    n.ok() ? reply.Write(*n) : reply.Error(n.status());
  });
}

}  // namespace ext4fh
