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
constexpr uint32_t kNoCowFlag = 0x00800000;  // FS_NOCOW_FL
constexpr uint32_t kLayoutFlags = EXT4_EXTENTS_FL | EXT4_INLINE_DATA_FL;
constexpr uint32_t kFormatFlags = EXT4_ENCRYPT_FL | EXT4_CASEFOLD_FL |
                                  EXT4_VERITY_FL;

}  // namespace

uint32_t VisibleFlags(uint32_t i_flags) {
  return i_flags & kUserVisible;
}

Result<uint32_t> ApplySetFlags(uint32_t current, uint32_t requested,
                               bool is_dir, bool privileged) {
  if (!is_dir) {
    requested &= ~EXT2_DIRSYNC_FL;  // ext4_mask_flags drops it silently
  }
  // How the inode maps its data stays as it is: the kernel would migrate
  // between extents and block maps; ext4fh does not, and keeps the flags
  // rather than failing the other changes of the request.
  requested = (requested & ~kLayoutFlags) | (current & kLayoutFlags);
  uint32_t changed = current ^ requested;
  if (changed & (EXT2_IMMUTABLE_FL | EXT2_APPEND_FL)) {
    if (!privileged) {
      return Status::Error(EPERM, "only root may change immutable/append-only");
    }
  }
  if (changed & EXT3_JOURNAL_DATA_FL) {
    return Status::Error(EPERM, "data journaling is not supported");
  }
  // Encryption, casefolding and verity cannot be switched on an existing
  // inode, and these flags have no meaning on a plain file.
  uint32_t unsupported = kFormatFlags | kNoCowFlag;
  if (!is_dir) {
    unsupported |= EXT2_TOPDIR_FL | EXT4_PROJINHERIT_FL;
  }
  if (changed & unsupported) {
    return Status::Error(EOPNOTSUPP, "flag cannot be changed");
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
