#pragma once

// A loop device over the image, for a fuseblk mount (mount.h): the kernel
// sends FUSE_DESTROY to a fuseblk server at unmount and waits for its
// answer, so umount returns only once the image is flushed and marked
// clean; and BMAP reaches the server. The device starts where the
// filesystem does, so block numbers are the filesystem's. Nothing reads or
// writes through it: the server uses the image file.

#include <cstdint>
#include <string>

#include "util/scoped_fd.h"
#include "util/status.h"

namespace ext4fh {

struct LoopDevice {
  ScopedFd fd;       // the device, open; it goes away (autoclear) once
                     // this fd and the mount that uses it are gone
  std::string path;  // /dev/loopN
};

// Attaches a free loop device to `image` from byte `offset`, read-only if
// `read_only`, with autoclear. Needs root.
Result<LoopDevice> AttachLoopDevice(const std::string& image, uint64_t offset,
                                    bool read_only);

}  // namespace ext4fh
