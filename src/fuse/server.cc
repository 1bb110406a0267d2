#include "fuse/server.h"

#include <unistd.h>

#include <vector>

#include "fuse/node_claim.h"
#include "util/log.h"

namespace ext4fh {

Server& ServerOf(fuse_req_t req) {
  return *static_cast<Server*>(fuse_req_userdata(req));
}

struct stat Server::StatFor(const Attr& a) const {
  struct stat st {};
  st.st_ino = a.ino;
  st.st_mode = a.mode;
  st.st_nlink = a.nlink;
  st.st_uid = a.uid;
  st.st_gid = a.gid;
  st.st_rdev = a.rdev;
  st.st_size = static_cast<off_t>(a.size);
  st.st_blocks = static_cast<blkcnt_t>(a.blocks);
  st.st_blksize = a.blksize;
  st.st_atim = a.atime;
  st.st_mtim = a.mtime;
  st.st_ctim = a.ctime;
  return st;
}

fuse_entry_param Server::EntryFor(const Attr& attr) const {
  NodeId id = NodeIdFor(attr);
  fuse_entry_param e{};
  e.ino = EncodeNodeId(id);
  e.generation = id.generation;
  e.attr = StatFor(attr);
  e.attr_timeout = config_.attr_timeout;
  e.entry_timeout = config_.entry_timeout;
  return e;
}

void Server::CountEntries(std::span<const uint64_t> nodeids) {
  CountOnce(log_, nodes_, nodeids);
  PublishCachedInodes();
}

fuse_entry_param Server::CountedEntry(const Attr& attr) {
  fuse_entry_param e = EntryFor(attr);
  uint64_t nodeid = e.ino;
  CountEntries({&nodeid, 1});
  return e;
}

void Server::PublishCachedInodes() {
  if (cached_inodes_ != nullptr) {
    cached_inodes_->store(nodes_.size(), std::memory_order_relaxed);
  }
}

fuse_entry_param Server::NegativeEntry() const {
  fuse_entry_param e{};
  e.entry_timeout = config_.entry_timeout;
  return e;
}

Credentials Server::CredentialsOf(fuse_req_t req, bool with_groups) const {
  const fuse_ctx* ctx = fuse_req_ctx(req);
  Credentials cred{ctx->uid, ctx->gid, {}};
  if (with_groups) {
    std::vector<gid_t> groups(64);
    int n = fuse_req_getgroups(req, static_cast<int>(groups.size()),
                               groups.data());
    if (n > static_cast<int>(groups.size())) {
      groups.resize(n);
      n = fuse_req_getgroups(req, n, groups.data());
    }
    groups.resize(n > 0 ? n : 0);
    cred.groups = std::move(groups);
  }
  return cred;
}

void Server::MarkStale(uint64_t nodeid) {
  std::lock_guard lock(stale_mu_);
  marked_stale_.insert(nodeid);
}

bool Server::IsMarkedStale(uint64_t nodeid) const {
  std::lock_guard lock(stale_mu_);
  return marked_stale_.contains(nodeid);
}

Status Server::CheckRemove(fuse_req_t req, const InodeClaim& dir,
                           std::string_view name) {
  if (config_.default_permissions) {
    return OkStatus();
  }
  Credentials cred = CredentialsOf(req, true);
  RETURN_IF_ERROR(image_.Access(dir, cred, W_OK | X_OK));
  ASSIGN_OR_RETURN(Attr dir_attr, image_.GetAttr(dir));
  if (!(dir_attr.mode & S_ISVTX) || cred.uid == 0 || cred.uid == dir_attr.uid) {
    return OkStatus();
  }
  Result<Attr> target = image_.Lookup(dir, name);
  if (target.ok() && target->uid != cred.uid) {
    return Status::Error(EPERM, "sticky directory");
  }
  return OkStatus();
}

void Server::AfterUnlink(const Unlinked& gone) {
  if (gone.links != 0) {
    return;
  }
  uint64_t nodeid = EncodeNodeId(NodeId{gone.ino, gone.generation});
  if (nodes_.Count(nodeid) == 0) {
    Status st = image_.ReleaseIfOrphan(gone.ino, gone.generation);
    if (!st.ok()) {
      LOG(ERROR) << "Cannot free orphan " << gone.ino << ": " << st.ToString();
    }
  }
}

void Server::Forget(uint64_t nodeid, uint64_t nlookup) {
  uint64_t left = nodes_.Forget(nodeid, nlookup);
  PublishCachedInodes();
  if (left != 0) {
    return;
  }
  std::optional<NodeId> id = DecodeNodeId(nodeid);
  if (!id || id->is_root()) {
    return;
  }
  Status st = image_.ReleaseIfOrphan(id->ino, id->generation);
  if (!st.ok()) {
    LOG(ERROR) << "Cannot free orphan " << id->ino << ": " << st.ToString();
  }
}

void Server::OnDestroy() {
  Status st = image_.Close(/*clean_unmount=*/true);
  if (!st.ok()) {
    LOG(ERROR) << "Cannot flush image at unmount: " << st.ToString();
  }
}

void Server::InvalidateAttr(uint64_t nodeid) {
  if (session_ != nullptr) {
    // A negative offset invalidates only the attributes, which takes no
    // inode lock in the kernel, so the caller's request cannot deadlock.
    fuse_lowlevel_notify_inval_inode(session_, nodeid, -1, 0);
  }
}

Status Server::CheckAccess(fuse_req_t req, const InodeClaim& claim, int mask) {
  if (config_.default_permissions) {
    return OkStatus();
  }
  return image_.Access(claim, CredentialsOf(req, true), mask);
}

}  // namespace ext4fh
