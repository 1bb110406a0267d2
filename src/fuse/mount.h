#pragma once

// Mounting and unmounting a FUSE filesystem, for the keeper.
//
// As root the keeper opens /dev/fuse and calls mount(2) itself. When that is
// not permitted (not root, or EPERM/EACCES from the open or the mount) it
// asks the setuid helper fusermount3 to mount and hand back the /dev/fuse
// fd (the protocol is described in mount.cc). Either way only the fd comes
// back; no request is read here except by ReadInitRequest.

#include <string>
#include <vector>

#include "util/scoped_fd.h"
#include "util/status.h"

namespace ext4fh {

struct MountRequest {
  std::string mountpoint;  // absolute
  std::string fsname;      // the image; the source in /proc/mounts unless
                           // a loop device over it is (fuseblk)
  uint64_t offset = 0;     // where the filesystem starts in the image
  bool read_only = false;
  bool allow_other = false;
  bool default_permissions = false;
  // "nosuid", "nodev", "noexec", "suid", "dev", "exec" in command-line
  // order; for each flag the last one wins. A FUSE mount is nosuid,nodev
  // unless asked otherwise (as libfuse and fusermount3 do); fusermount3
  // ignores "suid" and "dev" for a user who is not root.
  std::vector<std::string> flags;
};

// Mounts and returns the /dev/fuse fd of the new connection (close-on-exec).
// Never uses fusermount3's auto_unmount: the mount must outlive a crashed
// server. On failure the context is one line for the user, with
// fusermount3's own message when it refused.
Result<ScopedFd> MountFuse(const MountRequest& request);

// Unmounts `mountpoint` (umount2 as root, `fusermount3 -u` otherwise);
// `lazy` detaches even when busy.
Status UnmountFuse(const std::string& mountpoint, bool lazy);

// Reads the FUSE_INIT request the kernel queues on a new connection.
// Blocks until it arrives.
Result<std::string> ReadInitRequest(int fuse_fd);

}  // namespace ext4fh
