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

// The new i_flags after FS_IOC_SETFLAGS with `requested`, as ext4 decides:
// EPERM for immutable/append-only without privilege and for data
// journaling; EOPNOTSUPP for encryption, casefold, verity, nocow, and
// directory-only flags on other inodes. DIRSYNC on a non-directory is
// dropped silently, and so are changes to the extents and inline-data
// flags (ext4fh does not migrate a file between layouts).
Result<uint32_t> ApplySetFlags(uint32_t current, uint32_t requested,
                               bool is_dir, bool privileged);

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
