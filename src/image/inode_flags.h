#pragma once

// ext4 inode flags as chattr/lsattr see them, inheritance of flags by new
// inodes, and enforcement of immutable and append-only (the kernel leaves
// that to a FUSE server: it does not know the flags).

#include <ext2fs/ext2fs.h>
#include <sys/types.h>

#include <cstdint>

#include "util/status.h"

namespace ext4fh {

// What FS_IOC_GETFLAGS shows (EXT4_FL_USER_VISIBLE).
uint32_t VisibleFlags(uint32_t i_flags);

// The new i_flags after FS_IOC_SETFLAGS with `requested`, or: EPERM when
// changing immutable/append-only without privilege, EOPNOTSUPP when
// asking for a format change (extents, inline data, encryption...).
Result<uint32_t> ApplySetFlags(uint32_t current, uint32_t requested,
                               bool privileged);

// The flags a new inode of `mode` inherits from a directory with `dir_flags`
// (ext4_mask_flags of EXT4_FL_INHERITED).
uint32_t InheritedFlags(uint32_t dir_flags, mode_t mode);

bool IsImmutable(const ext2_inode_large& inode);
bool IsAppendOnly(const ext2_inode_large& inode);

// EPERM when the inode is immutable or append-only: it may not be
// renamed, unlinked, linked to, truncated, have its attributes or xattrs
// changed, or (for directories) lose entries.
Status CheckMutable(const ext2_inode_large& inode);

}  // namespace ext4fh
