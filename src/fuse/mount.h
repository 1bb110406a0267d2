#pragma once

// Mounting and unmounting a FUSE filesystem, for the keeper.
//
// Mounting goes through libfuse's fuse_session_mount(), which calls mount(2)
// directly as root and fusermount3 otherwise, and hands back the /dev/fuse
// connection. The session used for that is thrown away at once: the caller
// keeps only the fd. No request is read here.

#include <string>

#include "util/scoped_fd.h"
#include "util/status.h"

namespace ext4fh {

struct MountRequest {
  std::string mountpoint;
  std::string fsname;  // shown as the source in /proc/mounts
  bool read_only = false;
  bool allow_other = false;
  bool default_permissions = false;
};

// Mounts and returns the /dev/fuse fd of the new connection (close-on-exec).
Result<ScopedFd> MountFuse(const MountRequest& request);

// Unmounts `mountpoint` (umount2 as root, fusermount3 -u otherwise);
// `lazy` detaches even when busy.
Status UnmountFuse(const std::string& mountpoint, bool lazy);

// Reads the FUSE_INIT request the kernel queues on a new connection.
// Blocks until it arrives.
Result<std::string> ReadInitRequest(int fuse_fd);

}  // namespace ext4fh
