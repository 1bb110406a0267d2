// Image: changes to the namespace (create, link, unlink, rename) and the
// orphans they leave. See image.h for the contracts.
//
// Order of on-disk steps: a new inode is written before the entry naming
// it; an entry is removed before its inode loses the link; a replaced
// destination entry is removed just before the source is linked in its
// place (and put back if that fails). A crash between steps leaves what
// e2fsck repairs without data loss: at worst a link count one too high or
// an unattached inode. RENAME_EXCHANGE rewrites entries in place instead
// (image_exchange.cc).

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/stat.h>

#include "image/acl.h"
#include "image/create.h"
#include "image/dir_edit.h"
#include "image/directory.h"
#include "image/errcode.h"
#include "image/image.h"
#include "image/commit.h"
#include "image/filesystem.h"
#include "image/orphans.h"
#include "image/inode.h"
#include "image/inode_flags.h"
#include "image/inode_write.h"
#include "image/space.h"
#include "image/xattr.h"
#include "util/fault.h"

namespace ext4fh {
namespace {

Status CheckName(std::string_view name) {
  if (name.size() > EXT2_NAME_LEN) {
    return Status::Error(ENAMETOOLONG);
  }
  if (name.empty() || name == "." || name == ".." ||
      name.find('/') != std::string_view::npos) {
    return Status::Error(EINVAL, "bad name");
  }
  return OkStatus();
}

bool IsIndexed(const ext2_inode_large& dir) {
  return (dir.i_flags & EXT2_INDEX_FL) != 0;
}

// The mode and group of a new inode: the setgid directory rules of
// inode_init_owner (the VFS already stripped setgid where the caller
// may not have it).
NewInodeSpec SpecFor(const NewNode& node, const ext2_inode_large& dir,
                     const Credentials& cred) {
  NewInodeSpec spec;
  spec.mode = node.mode;
  if (S_ISLNK(node.mode)) {
    spec.mode = S_IFLNK | 0777;
  }
  spec.uid = cred.uid;
  spec.gid = cred.gid;
  if (dir.i_mode & S_ISGID) {
    spec.gid = inode_gid(dir);
    if (S_ISDIR(node.mode)) {
      spec.mode |= S_ISGID;
    }
  }
  spec.flags = InheritedFlags(dir.i_flags, node.mode);
  spec.now = Now();
  return spec;
}

}  // namespace

// A default ACL on the parent replaces the umask (posix_acl_create): the
// new inode gets the masked ACL as its access ACL when it still says more
// than its mode, and a directory inherits the default ACL itself.
Status Image::ApplyAcls(uint32_t dir, uint32_t ino, mode_t* mode) {
  Result<std::string> inherited =
      ext4fh::GetXattr(fs(), dir, kAclDefaultName);
  if (!inherited.ok()) {
    return OkStatus();
  }
  ASSIGN_OR_RETURN(Acl acl, ParseAcl(*inherited));
  if (S_ISDIR(*mode)) {
    RETURN_IF_ERROR(ext4fh::SetXattr(fs(), ino, kAclDefaultName,
                                     *inherited, 0));
  }
  if (AclCreateMask(acl, mode)) {
    RETURN_IF_ERROR(ext4fh::SetXattr(fs(), ino, kAclAccessName,
                                     SerializeAcl(acl), 0));
  }
  return OkStatus();
}

Result<Attr> Image::Make(const InodeClaim& dir, std::string_view name,
                         const NewNode& node, const Credentials& cred) {
  std::lock_guard lock(mu_);
  auto make = [&]() -> Result<Attr> {
    ASSIGN_OR_RETURN(ext2_inode_large parent, ResolveDirForChange(dir));
    RETURN_IF_ERROR(CheckName(name));
    if (IsImmutable(parent)) {
      return Status::Error(EPERM);
    }
    if (parent.i_links_count == 0) {
      return Status::Error(ENOENT, "directory was removed");
    }
    Result<uint32_t> existing = FindEntry(dir.ino(), parent, name);
    if (existing.ok()) {
      return Status::Error(EEXIST);
    }
    if (existing.err() != ENOENT) {
      return existing.status();
    }
    if (S_ISDIR(node.mode) && !IsIndexed(parent) &&
        parent.i_links_count >= kLinkMax) {
      return Status::Error(EMLINK);
    }
    if (S_ISLNK(node.mode) && node.target.size() > MaxSymlinkLength(fs())) {
      return Status::Error(ENAMETOOLONG);
    }
    CreateSpec spec{SpecFor(node, parent, cred), node.rdev, node.target,
                    AvailableBlocks(fs(), cred)};
    bool has_default_acl =
        ext4fh::GetXattr(fs(), dir.ino(), kAclDefaultName).ok();
    if (!S_ISLNK(node.mode) && !has_default_acl) {
      spec.inode.mode &= ~(node.umask & 0777);
    }
    ASSIGN_OR_RETURN(uint32_t ino,
                     CreateInode(fs(), *commit_, dir.ino(), name, spec));
    if (has_default_acl && !S_ISLNK(node.mode)) {
      mode_t mode = spec.inode.mode;
      RETURN_IF_ERROR(ApplyAcls(dir.ino(), ino, &mode));
      ASSIGN_OR_RETURN(ext2_inode_large inode, ReadInode(fs(), ino));
      inode.i_mode = static_cast<uint16_t>(mode);
      RETURN_IF_ERROR(WriteInode(fs(), ino, inode));
    }
    return AttrOf(ino);
  };
  return Finish(make());
}

Result<Attr> Image::Link(const InodeClaim& target, const InodeClaim& dir,
                         std::string_view name) {
  std::lock_guard lock(mu_);
  auto link = [&]() -> Result<Attr> {
    ASSIGN_OR_RETURN(ext2_inode_large inode, ResolveForChange(target));
    ASSIGN_OR_RETURN(ext2_inode_large parent, ResolveDirForChange(dir));
    RETURN_IF_ERROR(CheckName(name));
    if (LINUX_S_ISDIR(inode.i_mode)) {
      return Status::Error(EPERM, "hard link to a directory");
    }
    if (inode.i_links_count == 0) {
      return Status::Error(ENOENT, "inode was unlinked");
    }
    RETURN_IF_ERROR(CheckMutable(inode));
    if (IsImmutable(parent)) {
      return Status::Error(EPERM);
    }
    if (inode.i_links_count >= kLinkMax) {
      return Status::Error(EMLINK);
    }
    if (FindEntry(dir.ino(), parent, name).ok()) {
      return Status::Error(EEXIST);
    }
    RETURN_IF_ERROR(AddEntry(fs(), dir.ino(), name, target.ino(),
                             inode.i_mode, AvailableBlocksForRoot(fs())));
    timespec now = Now();
    ASSIGN_OR_RETURN(inode, ReadInode(fs(), target.ino()));
    inode.i_links_count++;
    SetTimes(inode, kCtime, now);
    RETURN_IF_ERROR(WriteInode(fs(), target.ino(), inode));
    RETURN_IF_ERROR(TouchDir(fs(), dir.ino(), now));
    return DecodeAttr(fs(), target.ino(), inode);
  };
  return Finish(link());
}

Result<Unlinked> Image::DropLink(uint32_t ino, bool directory,
                                 const timespec& now) {
  ASSIGN_OR_RETURN(ext2_inode_large inode, ReadInode(fs(), ino));
  if (directory) {
    inode.i_links_count = 0;
    inode.i_size = 0;
    inode.i_size_high = 0;
  } else if (inode.i_links_count > 0) {
    inode.i_links_count--;
  }
  SetTimes(inode, kCtime, now);
  if (inode.i_links_count == 0) {
    orphans_->Add(fs(), *commit_, ino, inode);
  }
  RETURN_IF_ERROR(WriteInode(fs(), ino, inode));
  return Unlinked{ino, inode.i_generation, inode.i_links_count};
}

Result<Unlinked> Image::Unlink(const InodeClaim& dir, std::string_view name,
                               bool directory) {
  std::lock_guard lock(mu_);
  auto unlink = [&]() -> Result<Unlinked> {
    ASSIGN_OR_RETURN(ext2_inode_large parent, ResolveDirForChange(dir));
    ASSIGN_OR_RETURN(uint32_t ino, FindEntry(dir.ino(), parent, name));
    ASSIGN_OR_RETURN(ext2_inode_large inode, ReadInode(fs(), ino));
    bool is_dir = LINUX_S_ISDIR(inode.i_mode);
    if (is_dir != directory) {
      return Status::Error(directory ? ENOTDIR : EISDIR);
    }
    RETURN_IF_ERROR(CheckMutable(inode));
    RETURN_IF_ERROR(CheckMutable(parent));
    if (is_dir) {
      ASSIGN_OR_RETURN(bool empty, IsEmptyDir(fs(), ino, inode));
      if (!empty) {
        return Status::Error(ENOTEMPTY);
      }
    }
    RETURN_IF_ERROR(RemoveEntry(fs(), dir.ino(), name));
    timespec now = Now();
    RETURN_IF_ERROR(TouchDir(fs(), dir.ino(), now, is_dir ? -1 : 0));
    return DropLink(ino, is_dir, now);
  };
  return Finish(unlink());
}

Status Image::FreeOrphan(uint32_t ino) {
  RETURN_IF_ERROR(orphans_->Remove(fs(), *commit_, ino));
  return FreeInode(fs(), *commit_, ino);
}

Status Image::ReleaseIfOrphan(uint32_t ino, uint32_t generation) {
  std::lock_guard lock(mu_);
  if (!commit_ || !orphans_->Contains(ino)) {
    return OkStatus();
  }
  auto release = [&]() -> Status {
    ASSIGN_OR_RETURN(ext2_inode_large inode, ReadInode(fs(), ino));
    if (inode.i_links_count != 0 || inode.i_generation != generation) {
      return OkStatus();
    }
    return FreeOrphan(ino);
  };
  return Finish(release());
}

Status Image::ReleaseOrphans(
    const std::function<bool(uint32_t, uint32_t)>& keep) {
  std::lock_guard lock(mu_);
  if (!commit_) {
    return OkStatus();
  }
  Status st;
  for (uint32_t ino : std::set<uint32_t>(orphans_->members())) {
    Result<ext2_inode_large> inode = ReadInode(fs(), ino);
    if (!inode.ok() || keep(ino, inode->i_generation)) {
      continue;
    }
    st = FreeOrphan(ino);
    if (!st.ok()) {
      break;
    }
  }
  return Finish(st);
}

// EINVAL when `dir` lies inside directory `moving` (or is it): a
// directory cannot move into its own subtree.
static Status CheckNotInside(ext2_filsys fs, uint32_t moving, uint32_t dir) {
  for (uint32_t cur = dir, steps = 0; steps < 65536; ++steps) {
    if (cur == moving) {
      return Status::Error(EINVAL, "rename into own subtree");
    }
    if (cur == EXT2_ROOT_INO) {
      return OkStatus();
    }
    ASSIGN_OR_RETURN(ext2_inode_large inode, ReadInode(fs, cur));
    ASSIGN_OR_RETURN(cur, Directory(fs, cur, inode).Parent());
  }
  return Status::Error(ELOOP, "directory tree too deep");
}

Status Image::CheckRenameTarget(uint32_t to_dir, uint32_t src, uint32_t dst,
                                bool src_is_dir, bool dst_is_dir,
                                unsigned flags) {
  if (src_is_dir) {
    RETURN_IF_ERROR(CheckNotInside(fs(), src, to_dir));
  }
  if (dst == 0 || (flags & RENAME_EXCHANGE)) {
    return OkStatus();
  }
  if (src_is_dir && !dst_is_dir) {
    return Status::Error(ENOTDIR);
  }
  if (!src_is_dir && dst_is_dir) {
    return Status::Error(EISDIR);
  }
  if (dst_is_dir) {
    ASSIGN_OR_RETURN(ext2_inode_large d, ReadInode(fs(), dst));
    ASSIGN_OR_RETURN(bool empty, IsEmptyDir(fs(), dst, d));
    if (!empty) {
      return Status::Error(ENOTEMPTY);
    }
  }
  return OkStatus();
}

// Directory `dir` now lives in `to` instead of `from`: its ".." follows,
// and so do the parents' link counts.
Status Image::MoveDirectory(uint32_t dir, uint32_t from, uint32_t to,
                            const timespec& now) {
  if (from == to) {
    return OkStatus();
  }
  RETURN_IF_ERROR(SetDotDot(fs(), dir, to));
  RETURN_IF_ERROR(TouchDir(fs(), from, now, -1));
  return TouchDir(fs(), to, now, +1);
}

// A rename cut short after the new name was linked: both names lead to
// the inode. Drop the old name, and the extra link count if e2fsck has
// since counted both names.
Status Image::FinishInterruptedRename(uint32_t from_dir, std::string_view from,
                                      uint32_t ino) {
  ASSIGN_OR_RETURN(ext2_inode_large inode, ReadInode(fs(), ino));
  if (LINUX_S_ISDIR(inode.i_mode)) {
    return Status::Error(EUCLEAN, "directory linked twice");
  }
  RETURN_IF_ERROR(RemoveEntry(fs(), from_dir, from));
  timespec now = Now();
  RETURN_IF_ERROR(TouchDir(fs(), from_dir, now));
  if (inode.i_links_count > 1) {
    return DropLink(ino, false, now).status();
  }
  return OkStatus();
}

Result<std::optional<Unlinked>> Image::Rename(const InodeClaim& from_dir,
                                              std::string_view from,
                                              const InodeClaim& to_dir,
                                              std::string_view to,
                                              unsigned flags,
                                              const RenameRun& run) {
  std::lock_guard lock(mu_);
  using Out = std::optional<Unlinked>;
  auto rename = [&]() -> Result<Out> {
    if ((flags & RENAME_EXCHANGE) && (flags & RENAME_NOREPLACE)) {
      return Status::Error(EINVAL);
    }
    if (flags & ~(RENAME_EXCHANGE | RENAME_NOREPLACE)) {
      return Status::Error(EINVAL, "unsupported rename flags");
    }
    ASSIGN_OR_RETURN(ext2_inode_large src_parent, ResolveDirForChange(from_dir));
    ASSIGN_OR_RETURN(ext2_inode_large dst_parent, ResolveDirForChange(to_dir));
    RETURN_IF_ERROR(CheckName(to));
    ExchangeNames names{from_dir.ino(), from, to_dir.ino(), to};
    if ((flags & RENAME_EXCHANGE) && run.interrupted && run.note) {
      RETURN_IF_ERROR(FinishExchange(names, *run.note));
      return Out();
    }
    Result<uint32_t> src_found = FindEntry(from_dir.ino(), src_parent, from);
    if (src_found.err() == ENOENT && run.interrupted) {
      return Out();  // the first run got as far as removing the old name
    }
    ASSIGN_OR_RETURN(uint32_t src, std::move(src_found));
    Result<uint32_t> found = FindEntry(to_dir.ino(), dst_parent, to);
    if (!found.ok() && found.err() != ENOENT) {
      return found.status();
    }
    uint32_t dst = found.ok() ? *found : 0;
    if ((flags & RENAME_EXCHANGE) && dst == 0) {
      return Status::Error(ENOENT);
    }
    if ((flags & RENAME_NOREPLACE) && dst != 0) {
      return Status::Error(EEXIST);
    }
    if (src == dst) {
      if (run.interrupted && !(from_dir.ino() == to_dir.ino() && from == to) &&
          !(flags & RENAME_EXCHANGE)) {
        RETURN_IF_ERROR(FinishInterruptedRename(from_dir.ino(), from, src));
      }
      return Out();  // two names of one inode: nothing to do
    }
    ASSIGN_OR_RETURN(ext2_inode_large src_inode, ReadInode(fs(), src));
    RETURN_IF_ERROR(CheckMutable(src_inode));
    RETURN_IF_ERROR(CheckMutable(src_parent));
    if (IsImmutable(dst_parent)) {
      return Status::Error(EPERM);
    }
    bool src_is_dir = LINUX_S_ISDIR(src_inode.i_mode);
    ext2_inode_large dst_inode{};
    if (dst != 0) {
      ASSIGN_OR_RETURN(dst_inode, ReadInode(fs(), dst));
      RETURN_IF_ERROR(CheckMutable(dst_inode));
      RETURN_IF_ERROR(CheckMutable(dst_parent));
    }
    bool dst_is_dir = dst != 0 && LINUX_S_ISDIR(dst_inode.i_mode);
    RETURN_IF_ERROR(CheckRenameTarget(to_dir.ino(), src, dst, src_is_dir,
                                      dst_is_dir, flags));
    if (flags & RENAME_EXCHANGE) {
      if (dst_is_dir) {
        RETURN_IF_ERROR(CheckNotInside(fs(), dst, from_dir.ino()));
      }
      ExchangeNote note{{src, dst},
                        {src_inode.i_generation, dst_inode.i_generation},
                        {src_inode.i_links_count, dst_inode.i_links_count},
                        {src_parent.i_links_count, dst_parent.i_links_count}};
      RETURN_IF_ERROR(Exchange(names, note, src_inode, dst_inode, run));
      return Out();
    }
    if (src_is_dir && dst == 0 && from_dir.ino() != to_dir.ino() &&
        !IsIndexed(dst_parent) && dst_parent.i_links_count >= kLinkMax) {
      return Status::Error(EMLINK);
    }
    timespec now = Now();
    Out replaced;
    if (dst != 0) {
      RETURN_IF_ERROR(RemoveEntry(fs(), to_dir.ino(), to));
    }
    Status added = AddEntry(fs(), to_dir.ino(), to, src, src_inode.i_mode,
                            AvailableBlocksForRoot(fs()));
    if (!added.ok()) {
      if (dst != 0) {
        (void)AddEntry(fs(), to_dir.ino(), to, dst, dst_inode.i_mode,
                       AvailableBlocksForRoot(fs()));
      }
      return added;
    }
    // The replaced inode loses its link before the old name goes: a crash
    // in between then leaves an orphan that e2fsck frees, not an
    // unattached inode.
    if (dst != 0) {
      if (dst_is_dir) {
        RETURN_IF_ERROR(TouchDir(fs(), to_dir.ino(), now, -1));
      }
      ASSIGN_OR_RETURN(Unlinked gone, DropLink(dst, dst_is_dir, now));
      replaced = gone;
    }
    CrashPoint("mid-rename");
    RETURN_IF_ERROR(RemoveEntry(fs(), from_dir.ino(), from));
    if (src_is_dir) {
      RETURN_IF_ERROR(MoveDirectory(src, from_dir.ino(), to_dir.ino(), now));
    }
    ASSIGN_OR_RETURN(src_inode, ReadInode(fs(), src));
    SetTimes(src_inode, kCtime, now);
    RETURN_IF_ERROR(WriteInode(fs(), src, src_inode));
    RETURN_IF_ERROR(TouchDir(fs(), from_dir.ino(), now));
    RETURN_IF_ERROR(TouchDir(fs(), to_dir.ino(), now));
    return replaced;
  };
  return Finish(rename());
}

}  // namespace ext4fh
