#pragma once

// Going to the background the way mount helpers must: the foreground
// process exits only when the mount is ready (or failed), with the right
// exit status, so `ext4fh IMAGE DIR && ls DIR` works.

#include "util/scoped_fd.h"
#include "util/status.h"

namespace ext4fh {

class Daemon {
 public:
  // Forks. The parent waits for the child's Report() and exits with the
  // reported code (kExitFailure if the child dies first); it never returns.
  // The child starts a new session and returns.
  static Result<Daemon> Start();

  // Tells the parent how the start went. After success, points stdin,
  // stdout and stderr at /dev/null. Only the first call counts.
  void Report(int code);

 private:
  explicit Daemon(ScopedFd pipe) : pipe_(std::move(pipe)) {}
  ScopedFd pipe_;
};

}  // namespace ext4fh
