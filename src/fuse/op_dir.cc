// OPENDIR, READDIR, READDIRPLUS and RELEASEDIR.
//
// Offsets are the image's stable directory cookies (image/directory.h), so
// a listing survives server restarts. READDIRPLUS counts a lookup for every
// entry it hands over except "." and "..", which the kernel does not turn
// into dentries (fuse_direntplus_link).

#include "fuse/op_handlers.h"

#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "fuse/node_claim.h"
#include "fuse/reply.h"
#include "fuse/server.h"

namespace ext4fh {
namespace {

bool IsDotOrDotDot(const std::string& name) {
  return name == "." || name == "..";
}

Status DoOpenDir(fuse_req_t req, fuse_ino_t ino) {
  Server& server = ServerOf(req);
  ASSIGN_OR_RETURN(NodeClaim claim, ClaimFor(ino));
  ASSIGN_OR_RETURN(Attr attr, server.image().GetAttr(claim));
  if (!S_ISDIR(attr.mode)) {
    return Status::Error(ENOTDIR);
  }
  return server.CheckAccess(req, claim, R_OK);
}

// Fills `buf` with plain entries from `off`; returns the bytes used.
Result<size_t> FillDir(fuse_req_t req, fuse_ino_t ino, off_t off,
                       std::vector<char>& buf) {
  ASSIGN_OR_RETURN(NodeClaim claim, ClaimFor(ino));
  size_t used = 0;
  RETURN_IF_ERROR(ServerOf(req).image().ReadDir(
      claim, static_cast<uint64_t>(off), [&](const DirEntry& e) {
        struct stat st {};
        st.st_ino = e.ino;
        st.st_mode = static_cast<mode_t>(e.type) << 12;
        size_t need =
            fuse_add_direntry(req, buf.data() + used, buf.size() - used,
                              e.name.c_str(), &st, static_cast<off_t>(e.cookie));
        if (need > buf.size() - used) {
          return false;
        }
        used += need;
        return true;
      }));
  return used;
}

// Fills `buf` with entries and attributes from `off`; returns bytes used.
Result<size_t> FillDirPlus(fuse_req_t req, fuse_ino_t ino, off_t off,
                           std::vector<char>& buf) {
  Server& server = ServerOf(req);
  ASSIGN_OR_RETURN(NodeClaim claim, ClaimFor(ino));
  size_t used = 0;
  std::vector<uint64_t> counted;
  RETURN_IF_ERROR(server.image().ReadDirPlus(
      claim, static_cast<uint64_t>(off),
      [&](const DirEntry& e, const Attr& attr) {
        fuse_entry_param entry{};
        entry.attr = server.StatFor(attr);
        size_t need = fuse_add_direntry_plus(req, nullptr, 0, e.name.c_str(),
                                             &entry, 0);
        if (need > buf.size() - used) {
          return false;
        }
        if (!IsDotOrDotDot(e.name)) {
          entry = server.EntryFor(attr);
          counted.push_back(entry.ino);
        }
        used += fuse_add_direntry_plus(req, buf.data() + used,
                                       buf.size() - used, e.name.c_str(),
                                       &entry, static_cast<off_t>(e.cookie));
        return true;
      }));
  server.CountEntries(counted);
  return used;
}

}  // namespace

void OpenDir(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  Guarded(req, "opendir", [&](Reply& reply) {
    Status st = DoOpenDir(req, ino);
    if (!st.ok()) {
      return reply.Error(st);
    }
    fi->fh = ino;
    reply.Open(*fi);
  });
}

void ReadDir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
             fuse_file_info*) {
  Guarded(req, "readdir", [&](Reply& reply) {
    std::vector<char> buf(size);
    Result<size_t> used = FillDir(req, ino, off, buf);
    used.ok() ? reply.Buf({buf.data(), *used}) : reply.Error(used.status());
  });
}

void ReadDirPlus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
                 fuse_file_info*) {
  Guarded(req, "readdirplus", [&](Reply& reply) {
    std::vector<char> buf(size);
    Result<size_t> used = FillDirPlus(req, ino, off, buf);
    used.ok() ? reply.Buf({buf.data(), *used}) : reply.Error(used.status());
  });
}

void ReleaseDir(fuse_req_t req, fuse_ino_t, fuse_file_info*) {
  Guarded(req, "releasedir", [&](Reply& reply) { reply.Ok(); });
}

}  // namespace ext4fh
