#pragma once

// Checks on the mountpoint before anything is mounted.

#include <string>

#include "util/status.h"

namespace ext4fh {

// OK when `path` (absolute) is an existing directory that is not itself a
// mount point. Otherwise a one-line reason: ENOENT, ENOTDIR or EBUSY.
Status CheckMountpoint(const std::string& path);

// OK as root. Otherwise OK when fusermount3 will mount on `path` for this
// user: a directory the user may write to, and not a sticky one the user
// does not own. Else a one-line reason (EACCES, or the errno of stat).
Status CheckUserMayMount(const std::string& path);

// Whether `path` (absolute, canonical) is a mount point right now.
bool IsMountPoint(const std::string& path);

}  // namespace ext4fh
