#pragma once

// Extended attributes, as the kernel's ext4 exposes them: in-inode and
// block attributes, values in EA inodes, and POSIX ACLs converted from the
// on-disk format to the VFS (xattr) format. "system.data", which holds
// inline file data, is never shown.

#include <ext2fs/ext2fs.h>

#include <string>
#include <string_view>
#include <vector>

#include "util/status.h"

namespace ext4fh {

// The attribute names of inode `ino`, in on-disk order. Names in the
// trusted. namespace are left out unless `privileged`, as ext4 does for
// callers without CAP_SYS_ADMIN.
Result<std::vector<std::string>> ListXattrs(ext2_filsys fs, ext2_ino_t ino,
                                            bool privileged);

// The value of attribute `name`; ENODATA when it does not exist.
Result<std::string> GetXattr(ext2_filsys fs, ext2_ino_t ino,
                             std::string_view name);

// Checks an attribute name as the VFS and ext4 do: a known namespace
// (user., trusted., security., and the two POSIX ACL names; EOPNOTSUPP
// otherwise), a non-empty suffix (EINVAL), at most 255 bytes (ERANGE).
Status CheckXattrName(std::string_view name);

// Sets `name` to `value`. `flags` may hold XATTR_CREATE (EEXIST if it
// exists) or XATTR_REPLACE (ENODATA if it does not). ENOSPC when the value
// does not fit. Writes the inode: callers re-read it.
Status SetXattr(ext2_filsys fs, ext2_ino_t ino, std::string_view name,
                std::string_view value, int flags);

// Removes `name`; ENODATA when it does not exist. Writes the inode.
Status RemoveXattr(ext2_filsys fs, ext2_ino_t ino, std::string_view name);

}  // namespace ext4fh
