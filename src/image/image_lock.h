#pragma once

// Exclusive use of an image while it is mounted.
//
// ext4fh takes an OFD lock on the first byte of the filesystem (so two
// filesystems at different offsets of one disk image can be served at
// once): exclusive for read-write, shared for read-only. Before locking it
// also refuses an image that is visibly in use elsewhere: backed by a loop
// device (a kernel mount, or one on its way), or the source of another
// mount (fuse2fs and the like). Images with the MMP feature are protected
// against other hosts and tools by MMP itself (image.cc).

#include <cstdint>
#include <string>

#include "util/scoped_fd.h"
#include "util/status.h"

namespace ext4fh {

class ImageLock {
 public:
  // Locks the filesystem at `offset` of `path`. Fails with EBUSY and a
  // one-line reason when the image is in use.
  static Result<ImageLock> Acquire(const std::string& path, uint64_t offset,
                                   bool exclusive);

 private:
  explicit ImageLock(ScopedFd fd) : fd_(std::move(fd)) {}
  ScopedFd fd_;
};

}  // namespace ext4fh
