#pragma once

// Mounting and unmounting through the setuid helper fusermount3, for a
// keeper that may not mount itself (fusermount.cc describes the protocol).

#include <string>

#include "fuse/mount.h"
#include "util/scoped_fd.h"
#include "util/status.h"

namespace ext4fh {

// Has fusermount3 mount `request` and returns the /dev/fuse fd it hands
// back (close-on-exec). Never asks for auto_unmount. On failure the context
// is one line for the user with fusermount3's own message; ENOENT when
// there is no fusermount3.
Result<ScopedFd> MountWithFusermount(const MountRequest& request);

// `fusermount3 -u` (`-uz` when `lazy`).
Status UnmountWithFusermount(const std::string& mountpoint, bool lazy);

}  // namespace ext4fh
