// Image: changes to attributes, data, xattrs and flags. See image.h.

#include <fcntl.h>
#include <linux/falloc.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "image/acl.h"
#include "image/errcode.h"
#include "image/file_data.h"
#include "image/file_write.h"
#include "image/image.h"
#include "image/commit.h"
#include "image/filesystem.h"
#include "image/orphans.h"
#include "image/inode.h"
#include "image/inode_flags.h"
#include "image/inline_file.h"
#include "image/inode_write.h"
#include "image/space.h"
#include "image/xattr.h"

namespace ext4fh {
namespace {

timespec Resolved(const timespec& ts, const timespec& now) {
  return ts.tv_nsec == UTIME_NOW ? now : ts;
}

bool SetsExplicitTime(const AttrChange& c) {
  return (c.atime && c.atime->tv_nsec != UTIME_NOW) ||
         (c.mtime && c.mtime->tv_nsec != UTIME_NOW);
}

Status CheckAttrChangeAllowed(const ext2_inode_large& inode,
                              const AttrChange& c) {
  if (IsImmutable(inode)) {
    return Status::Error(EPERM, "immutable");
  }
  if (IsAppendOnly(inode) &&
      (c.mode || c.uid || c.gid || c.size || SetsExplicitTime(c))) {
    return Status::Error(EPERM, "append-only");
  }
  return OkStatus();
}

// BytesThatFit for a file that is inline or may become so: a write that
// stays inline needs no block; any other converts an inline file first,
// which takes block 0, and then finds only holes (inline_file.h).
Result<uint64_t> InlineBytesThatFit(ext2_filsys fs, ext2_ino_t ino,
                                    const ext2_inode_large& inode,
                                    uint64_t offset, uint64_t len,
                                    uint64_t budget) {
  ASSIGN_OR_RETURN(uint64_t room, MaxInlineSize(fs, ino));
  if (offset + len <= room) {
    return len;
  }
  uint64_t taken = 0;  // blocks below this one are already mapped
  if (HasInlineData(inode)) {
    if (budget == 0) {
      return Status::Error(ENOSPC);
    }
    --budget;
    taken = 1;
  }
  const uint64_t bs = fs->blocksize;
  const uint64_t first = std::max(offset / bs, taken);
  const uint64_t end = (offset + len + bs - 1) / bs;
  if (end <= first || end - first <= budget) {
    return len;
  }
  const uint64_t fit_end = (first + budget) * bs;
  if (fit_end <= offset) {
    return Status::Error(ENOSPC);
  }
  return std::min(len, fit_end - offset);
}

// How many bytes from `offset` (at most `len`) can be written when only
// `budget` blocks may be allocated; ENOSPC when not even one byte.
Result<uint64_t> BytesThatFit(ext2_filsys fs, ext2_ino_t ino,
                              ext2_inode_large& inode, uint64_t offset,
                              uint64_t len, uint64_t budget) {
  if (len == 0) {
    return len;
  }
  if (HasInlineData(inode) || MayBecomeInline(fs, inode)) {
    return InlineBytesThatFit(fs, ino, inode, offset, len, budget);
  }
  const uint64_t bs = fs->blocksize;
  const uint64_t end = (offset + len + bs - 1) / bs;
  for (uint64_t lblk = offset / bs; lblk < end;) {
    ASSIGN_OR_RETURN(BlockRun run, MapBlocks(fs, ino, inode, lblk, end - lblk));
    if (run.pblk == 0) {
      if (run.count > budget) {
        uint64_t fit_end = (lblk + budget) * bs;
        if (fit_end <= offset) {
          return Status::Error(ENOSPC);
        }
        return std::min(len, fit_end - offset);
      }
      budget -= run.count;
    }
    lblk += run.count;
  }
  return len;
}

// The fallocate modes ext4fh implements (those the VFS lets reach ext4):
// allocate, zero range, punch hole (with KEEP_SIZE), collapse and insert
// range (without).
bool FallocateModeSupported(int mode) {
  const bool keep = mode & FALLOC_FL_KEEP_SIZE;
  switch (mode & ~FALLOC_FL_KEEP_SIZE) {
    case 0:
    case FALLOC_FL_ZERO_RANGE:
      return true;
    case FALLOC_FL_PUNCH_HOLE:
      return keep;
    case FALLOC_FL_COLLAPSE_RANGE:
    case FALLOC_FL_INSERT_RANGE:
      return !keep;  // vfs_fallocate
    default:
      return false;
  }
}

Status TouchModified(ext2_filsys fs, ext2_ino_t ino, const timespec& now) {
  ASSIGN_OR_RETURN(ext2_inode_large inode, ReadInode(fs, ino));
  SetTimes(inode, kMtime | kCtime, now);
  return WriteInode(fs, ino, inode);
}

}  // namespace

// chmod keeps an access ACL in step with the mode (posix_acl_chmod).
Status Image::ChmodAcl(uint32_t ino, mode_t mode) {
  Result<std::string> value = ext4fh::GetXattr(fs(), ino, kAclAccessName);
  if (!value.ok()) {
    return OkStatus();
  }
  ASSIGN_OR_RETURN(Acl acl, ParseAcl(*value));
  AclChmod(acl, mode);
  return ext4fh::SetXattr(fs(), ino, kAclAccessName, SerializeAcl(acl), 0);
}

Result<Attr> Image::SetAttr(const InodeClaim& claim, const AttrChange& change,
                            const Credentials& cred) {
  std::lock_guard lock(mu_);
  auto set = [&]() -> Result<Attr> {
    ASSIGN_OR_RETURN(ext2_inode_large inode, ResolveForChange(claim));
    RETURN_IF_ERROR(CheckAttrChangeAllowed(inode, change));
    const timespec now = Now();
    const uint32_t ino = claim.ino();
    if (change.size) {
      if (LINUX_S_ISDIR(inode.i_mode)) {
        return Status::Error(EISDIR);
      }
      if (!LINUX_S_ISREG(inode.i_mode)) {
        return Status::Error(EINVAL);
      }
      RETURN_IF_ERROR(SetFileSize(fs(), ino, inode, *change.size));
      SetTimes(inode, kMtime, now);
      commit_->SuperChanged();  // large_file may have been turned on
    }
    if (change.uid) {
      inode.i_uid = static_cast<uint16_t>(*change.uid);
      inode.osd2.linux2.l_i_uid_high = static_cast<uint16_t>(*change.uid >> 16);
    }
    if (change.gid) {
      inode.i_gid = static_cast<uint16_t>(*change.gid);
      inode.osd2.linux2.l_i_gid_high = static_cast<uint16_t>(*change.gid >> 16);
    }
    if (change.mode) {
      mode_t mode = (inode.i_mode & S_IFMT) | (*change.mode & 07777);
      if (cred.uid != 0 && !cred.InGroup(inode_gid(inode))) {
        mode &= ~S_ISGID;  // setattr_copy
      }
      inode.i_mode = static_cast<uint16_t>(mode);
      RETURN_IF_ERROR(WriteInode(fs(), ino, inode));
      RETURN_IF_ERROR(ChmodAcl(ino, mode));
      ext2_inode_large fresh;
      ASSIGN_OR_RETURN(fresh, ReadInode(fs(), ino));
      fresh.i_mode = inode.i_mode;
      inode = fresh;
    }
    if (change.atime) {
      SetTimes(inode, kAtime, Resolved(*change.atime, now));
    }
    if (change.mtime) {
      SetTimes(inode, kMtime, Resolved(*change.mtime, now));
    }
    SetTimes(inode, kCtime, now);
    RETURN_IF_ERROR(WriteInode(fs(), ino, inode));
    return DecodeAttr(fs(), ino, inode);
  };
  return Finish(set());
}

Result<size_t> Image::Write(const InodeClaim& claim, uint64_t offset,
                            std::span<const char> data,
                            const Credentials& cred) {
  std::lock_guard lock(mu_);
  auto write = [&]() -> Result<size_t> {
    ASSIGN_OR_RETURN(ext2_inode_large inode, ResolveForChange(claim));
    if (LINUX_S_ISDIR(inode.i_mode)) {
      return Status::Error(EISDIR);
    }
    if (IsImmutable(inode)) {
      return Status::Error(EPERM, "immutable");
    }
    if (IsAppendOnly(inode) && offset != InodeSize(fs(), inode)) {
      return Status::Error(EPERM, "append-only file written before its end");
    }
    // Like the kernel, write what fits and report a short write; the
    // next write then fails with ENOSPC.
    ASSIGN_OR_RETURN(uint64_t fits,
                     BytesThatFit(fs(), claim.ino(), inode, offset,
                                  data.size(), AvailableBlocks(fs(), cred)));
    ASSIGN_OR_RETURN(size_t n, WriteFileData(fs(), claim.ino(), inode,
                                             offset, data.first(fits)));
    if (offset + n > 0x7fffffffULL) {
      commit_->SuperChanged();  // large_file may have been turned on
    }
    RETURN_IF_ERROR(TouchModified(fs(), claim.ino(), Now()));
    return n;
  };
  return Finish(write());
}

Result<uint64_t> Image::WritableLength(const InodeClaim& claim,
                                      uint64_t offset, uint64_t length) {
  std::lock_guard lock(mu_);
  ASSIGN_OR_RETURN(ext2_inode_large inode, Resolve(claim));
  uint64_t limit = MaxFileSize(fs(), inode);
  if (offset >= limit) {
    return Status::Error(EFBIG);
  }
  return std::min(length, limit - offset);
}

Status Image::Fallocate(const InodeClaim& claim, int mode, uint64_t offset,
                        uint64_t length) {
  std::lock_guard lock(mu_);
  auto fallocate = [&]() -> Status {
    ASSIGN_OR_RETURN(ext2_inode_large inode, ResolveForChange(claim));
    if (LINUX_S_ISDIR(inode.i_mode)) {
      return Status::Error(EISDIR);
    }
    if (!LINUX_S_ISREG(inode.i_mode)) {
      return Status::Error(ENODEV);
    }
    if (length == 0 || static_cast<int64_t>(offset) < 0 ||
        static_cast<int64_t>(offset + length) < 0) {
      return Status::Error(EINVAL);
    }
    if (IsImmutable(inode)) {
      return Status::Error(EPERM);
    }
    if (IsAppendOnly(inode) && (mode & ~FALLOC_FL_KEEP_SIZE)) {
      return Status::Error(EPERM);
    }
    const uint32_t ino = claim.ino();
    const bool keep = mode & FALLOC_FL_KEEP_SIZE;
    if (!FallocateModeSupported(mode)) {
      return Status::Error(EOPNOTSUPP);
    }
    // ext4_fallocate moves inline data to a block before it looks at the
    // range, whatever the mode and even when the range is then refused.
    RETURN_IF_ERROR(ConvertInlineToBlocks(fs(), ino, inode));
    if (mode == 0 || mode == FALLOC_FL_KEEP_SIZE ||
        (mode & ~FALLOC_FL_KEEP_SIZE) == FALLOC_FL_ZERO_RANGE) {
      // Check the space first: an allocation that runs out part way
      // inside libext2fs is not undone, and zeroing frees data before it
      // allocates.
      Credentials root{0, 0, {}};
      ASSIGN_OR_RETURN(uint64_t fits,
                       BytesThatFit(fs(), ino, inode, offset, length,
                                    AvailableBlocks(fs(), root)));
      if (fits < length) {
        return Status::Error(ENOSPC);
      }
    }
    switch (mode & ~FALLOC_FL_KEEP_SIZE) {
      case 0:
        RETURN_IF_ERROR(AllocateRange(fs(), ino, inode, offset, length, keep));
        break;
      case FALLOC_FL_PUNCH_HOLE:
        if (!keep) {
          return Status::Error(EOPNOTSUPP);
        }
        RETURN_IF_ERROR(PunchRange(fs(), ino, inode, offset, length));
        break;
      case FALLOC_FL_ZERO_RANGE:
        RETURN_IF_ERROR(ZeroRange(fs(), ino, inode, offset, length, keep));
        break;
      case FALLOC_FL_COLLAPSE_RANGE:
        if (keep) {
          return Status::Error(EOPNOTSUPP);  // vfs_fallocate
        }
        RETURN_IF_ERROR(CollapseRange(fs(), ino, inode, offset, length));
        break;
      case FALLOC_FL_INSERT_RANGE:
        if (keep) {
          return Status::Error(EOPNOTSUPP);
        }
        RETURN_IF_ERROR(InsertRange(fs(), ino, inode, offset, length));
        break;
      default:
        return Status::Error(EOPNOTSUPP);
    }
    commit_->SuperChanged();
    return TouchModified(fs(), ino, Now());
  };
  return Finish(fallocate());
}

Result<uint64_t> Image::Seek(const InodeClaim& claim, uint64_t offset,
                             int whence) {
  std::lock_guard lock(mu_);
  ASSIGN_OR_RETURN(ext2_inode_large inode, Resolve(claim));
  if (whence != SEEK_DATA && whence != SEEK_HOLE) {
    return Status::Error(EINVAL);
  }
  return Finish(SeekDataOrHole(fs(), claim.ino(), inode, offset,
                               whence == SEEK_DATA));
}

Result<uint64_t> Image::Bmap(const InodeClaim& claim, uint64_t lblk) {
  std::lock_guard lock(mu_);
  ASSIGN_OR_RETURN(ext2_inode_large inode, Resolve(claim));
  if (!LINUX_S_ISREG(inode.i_mode) || HasInlineData(inode)) {
    return Status::Error(EINVAL);
  }
  ASSIGN_OR_RETURN(BlockRun run, MapBlocks(fs(), claim.ino(), inode, lblk, 1));
  return run.is_data() ? run.pblk : uint64_t{0};
}

// Setting an access ACL also sets the mode (posix_acl_update_mode): an ACL
// the mode can express is not stored at all. As in ext4_set_acl, ctime
// moves only when the xattr or the mode changed. Returns whether anything
// changed.
Result<bool> Image::SetAccessAcl(uint32_t ino, ext2_inode_large& inode,
                                 std::string_view value,
                                 const Credentials& cred) {
  mode_t perms = inode.i_mode & 0777;
  bool store = false;
  if (!value.empty()) {
    ASSIGN_OR_RETURN(Acl acl, ParseAcl(value));
    store = !AclEquivalentToMode(acl, &perms);
  }
  bool changed = true;
  if (store) {
    RETURN_IF_ERROR(ext4fh::SetXattr(fs(), ino, kAclAccessName, value, 0));
  } else {
    Status st = ext4fh::RemoveXattr(fs(), ino, kAclAccessName);
    if (!st.ok() && st.err() != ENODATA) {
      return st;
    }
    changed = st.ok();
  }
  ASSIGN_OR_RETURN(inode, ReadInode(fs(), ino));
  mode_t mode = (inode.i_mode & ~0777) | perms;
  if (!value.empty() && cred.uid != 0 && !cred.InGroup(inode_gid(inode))) {
    mode &= ~S_ISGID;
  }
  changed = changed || mode != inode.i_mode;
  inode.i_mode = static_cast<uint16_t>(mode);
  return changed;
}

Status Image::SetXattr(const InodeClaim& claim, std::string_view name,
                       std::string_view value, int flags,
                       const Credentials& cred) {
  std::lock_guard lock(mu_);
  auto set = [&]() -> Status {
    ASSIGN_OR_RETURN(ext2_inode_large inode, ResolveForChange(claim));
    RETURN_IF_ERROR(CheckMutable(inode));
    RETURN_IF_ERROR(CheckXattrName(name));
    const uint32_t ino = claim.ino();
    if (name == kAclAccessName) {
      ASSIGN_OR_RETURN(bool changed, SetAccessAcl(ino, inode, value, cred));
      if (!changed) {
        return OkStatus();
      }
    } else {
      if (name == kAclDefaultName) {
        if (!LINUX_S_ISDIR(inode.i_mode)) {
          return value.empty() ? OkStatus() : Status::Error(EACCES);
        }
        if (value.empty()) {
          Status st = ext4fh::RemoveXattr(fs(), ino, name);
          return st.err() == ENODATA ? OkStatus() : st;
        }
        RETURN_IF_ERROR(ParseAcl(value).status());
      }
      RETURN_IF_ERROR(ext4fh::SetXattr(fs(), ino, name, value, flags));
      ASSIGN_OR_RETURN(inode, ReadInode(fs(), ino));
    }
    SetTimes(inode, kCtime, Now());
    return WriteInode(fs(), ino, inode);
  };
  return Finish(set());
}

Status Image::RemoveXattr(const InodeClaim& claim, std::string_view name) {
  std::lock_guard lock(mu_);
  auto remove = [&]() -> Status {
    ASSIGN_OR_RETURN(ext2_inode_large inode, ResolveForChange(claim));
    RETURN_IF_ERROR(CheckMutable(inode));
    RETURN_IF_ERROR(CheckXattrName(name));
    RETURN_IF_ERROR(ext4fh::RemoveXattr(fs(), claim.ino(), name));
    ASSIGN_OR_RETURN(inode, ReadInode(fs(), claim.ino()));
    SetTimes(inode, kCtime, Now());
    return WriteInode(fs(), claim.ino(), inode);
  };
  return Finish(remove());
}

Result<uint32_t> Image::GetFlags(const InodeClaim& claim) {
  std::lock_guard lock(mu_);
  ASSIGN_OR_RETURN(ext2_inode_large inode, Resolve(claim));
  return VisibleFlags(inode.i_flags);
}

Status Image::SetFlags(const InodeClaim& claim, uint32_t flags,
                       const Credentials& cred) {
  std::lock_guard lock(mu_);
  auto set = [&]() -> Status {
    ASSIGN_OR_RETURN(ext2_inode_large inode, ResolveForChange(claim));
    if (cred.uid != 0 && cred.uid != inode_uid(inode)) {
      return Status::Error(EPERM, "not the owner");
    }
    ASSIGN_OR_RETURN(uint32_t next,
                     ApplySetFlags(inode.i_flags, flags,
                                   LINUX_S_ISDIR(inode.i_mode), cred.uid == 0));
    inode.i_flags = next;
    SetTimes(inode, kCtime, Now());
    return WriteInode(fs(), claim.ino(), inode);
  };
  return Finish(set());
}

Result<uint64_t> Image::Trim(uint64_t first_byte, uint64_t length,
                             uint64_t min_length) {
  std::lock_guard lock(mu_);
  if (read_only_) {
    return Status::Error(EROFS);
  }
  ext2_filsys filsys = fs();
  const uint64_t bs = filsys->blocksize;
  // ext4_trim_fs's checks.
  if (length < bs || first_byte / bs >= ext2fs_blocks_count(filsys->super) ||
      EXT2FS_NUM_B2C(filsys, min_length / bs) > EXT2_CLUSTERS_PER_GROUP(filsys->super)) {
    return Status::Error(EINVAL, "FITRIM range");
  }
  const blk64_t first = std::max<blk64_t>(first_byte / bs,
                                          filsys->super->s_first_data_block);
  const blk64_t end = std::min<blk64_t>(
      length / bs > ext2fs_blocks_count(filsys->super) ? ext2fs_blocks_count(filsys->super)
                                                   : first + length / bs,
      ext2fs_blocks_count(filsys->super));
  const uint64_t min_blocks = std::max<uint64_t>(1, min_length / bs);
  uint64_t trimmed = 0;
  for (blk64_t start = first; start < end;) {
    blk64_t free_start = 0, used = 0;
    if (ext2fs_find_first_zero_block_bitmap2(filsys->block_map, start, end - 1,
                                             &free_start) != 0) {
      break;
    }
    if (ext2fs_find_first_set_block_bitmap2(filsys->block_map, free_start, end - 1,
                                            &used) != 0) {
      used = end;
    }
    if (used - free_start >= min_blocks &&
        io_channel_discard(filsys->io, free_start, used - free_start) == 0) {
      trimmed += (used - free_start) * bs;
    }
    start = used;
  }
  return trimmed;
}

Status Image::Sync() {
  std::lock_guard lock(mu_);
  if (read_only_ || fs() == nullptr) {
    return OkStatus();
  }
  RETURN_IF_ERROR(Finish(OkStatus()));
  RETURN_IF_EXT2_ERROR(io_channel_flush(fs()->io), "cannot sync image");
  return OkStatus();
}

}  // namespace ext4fh
