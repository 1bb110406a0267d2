#include "image/inode_flags.h"

#include <sys/stat.h>

namespace ext4fh {
namespace {

constexpr uint32_t kUserVisible = 0x705BDFFF;     // EXT4_FL_USER_VISIBLE
constexpr uint32_t kUserModifiable = 0x604BC0FF;  // EXT4_FL_USER_MODIFIABLE
constexpr uint32_t kInherited =                   // EXT4_FL_INHERITED
    EXT2_SECRM_FL | EXT2_UNRM_FL | EXT2_COMPR_FL | EXT2_SYNC_FL |
    EXT2_NODUMP_FL | EXT2_NOATIME_FL | EXT2_NOCOMPR_FL | EXT3_JOURNAL_DATA_FL |
    EXT2_NOTAIL_FL | EXT2_DIRSYNC_FL | EXT4_PROJINHERIT_FL;
constexpr uint32_t kRegMask =  // EXT4_REG_FLMASK
    ~(EXT2_DIRSYNC_FL | EXT2_TOPDIR_FL | EXT4_PROJINHERIT_FL);
constexpr uint32_t kOtherMask = EXT2_NODUMP_FL | EXT2_NOATIME_FL;
// Flags whose change means converting the file's format.
constexpr uint32_t kDaxFlag = 0x02000000;  // EXT4_DAX_FL
constexpr uint32_t kFormatFlags = EXT4_EXTENTS_FL | EXT4_INLINE_DATA_FL |
                                  EXT4_ENCRYPT_FL | EXT4_CASEFOLD_FL |
                                  EXT4_VERITY_FL | kDaxFlag;

}  // namespace

uint32_t VisibleFlags(uint32_t i_flags) {
  return i_flags & kUserVisible;
}

Result<uint32_t> ApplySetFlags(uint32_t current, uint32_t requested,
                               bool privileged) {
  uint32_t changed = (current ^ requested) & kUserVisible;
  if ((changed & (EXT2_IMMUTABLE_FL | EXT2_APPEND_FL)) && !privileged) {
    return Status::Error(EPERM, "only root may change immutable/append-only");
  }
  if (changed & kFormatFlags & ~kUserModifiable) {
    return Status::Error(EOPNOTSUPP, "cannot convert the file's format");
  }
  return (current & ~kUserModifiable) | (requested & kUserModifiable);
}

uint32_t InheritedFlags(uint32_t dir_flags, mode_t mode) {
  uint32_t flags = dir_flags & kInherited;
  if (S_ISDIR(mode)) {
    return flags;
  }
  return S_ISREG(mode) ? flags & kRegMask : flags & kOtherMask;
}

bool IsImmutable(const ext2_inode_large& inode) {
  return (inode.i_flags & EXT2_IMMUTABLE_FL) != 0;
}

bool IsAppendOnly(const ext2_inode_large& inode) {
  return (inode.i_flags & EXT2_APPEND_FL) != 0;
}

Status CheckMutable(const ext2_inode_large& inode) {
  if (IsImmutable(inode) || IsAppendOnly(inode)) {
    return Status::Error(EPERM, "inode is immutable or append-only");
  }
  return OkStatus();
}

}  // namespace ext4fh
