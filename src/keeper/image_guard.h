#pragma once

// Keeps other programs from writing the image while ext4fh serves it.
//
// The image lock (image/image_lock.h) keeps out another ext4fh, and MMP
// keeps out everyone on images that have it. Nothing else stops the
// kernel (`mount -o loop`), fuse2fs or debugfs -w from opening an image
// file for writing and damaging it. As root, the keeper puts a fanotify
// open-permission mark on the image inode and answers every open of it:
//   - opens by the keeper and its descendants (servers, fsck hooks and the
//     e2fsck they run) are allowed;
//   - read-only opens by others are allowed (cp for a backup, e2fsck -n);
//   - other opens are refused with ETXTBSY ("Text file busy"): every tool
//     fails at once with that message (EBUSY would make losetup retry
//     forever). The keeper logs who was refused.
// The open mode is not in the event: it is read from the opener's
// /proc/TID/syscall while the opener waits (docs/kernel-facts.md, Q13).
//
// If the keeper dies, pending and later opens are allowed again; nothing
// hangs. Not covered: truncate(2) by path and fds opened before the mark.

#include <memory>
#include <string>
#include <thread>

#include "util/scoped_fd.h"
#include "util/status.h"

namespace ext4fh {

class ImageGuard {
 public:
  // Guards `image_path` for this process and its descendants, answering on
  // a thread of its own. Fails (the caller goes on unguarded) without the
  // privilege or kernel support for fanotify permission events.
  static Result<std::unique_ptr<ImageGuard>> Start(
      const std::string& image_path);

  ImageGuard(const ImageGuard&) = delete;
  ImageGuard& operator=(const ImageGuard&) = delete;
  // Stops guarding.
  ~ImageGuard();

 private:
  ImageGuard(ScopedFd fanotify, ScopedFd stop, std::string image_path);
  void Serve();
  void Answer(int event_fd, pid_t tid);

  ScopedFd fanotify_;
  ScopedFd stop_;  // an eventfd
  std::string image_path_;
  pid_t keeper_;
  std::thread thread_;
};

}  // namespace ext4fh
