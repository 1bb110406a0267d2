#pragma once

// The keeper's main loop: starts the server process, watches it and the
// connection, restarts it when it dies while the filesystem is still
// mounted, and returns once the filesystem is unmounted.
//
// Restart rules:
//   - exit 0 with the connection alive: a planned hand-over; start the next
//     server at once;
//   - any other exit or signal: a crash; run the fsck hooks, then restart,
//     with a backoff that doubles from 0 for each crash in the window;
//   - `crash_limit` crashes within `crash_window`, or a server that refuses
//     the image: give up and unmount (lazily), so applications see the
//     filesystem go away instead of hanging.
// SIGTERM, SIGINT and SIGHUP to the keeper unmount the filesystem; the
// server then sees the unmount, flushes and exits.

#include <sys/types.h>

#include <chrono>
#include <deque>
#include <functional>
#include <string>

#include "fuse/shared_state.h"
#include "keeper/config.h"
#include "util/scoped_fd.h"
#include "util/status.h"

namespace ext4fh {

class Supervisor {
 public:
  Supervisor(const KeeperConfig& config, int fuse_fd, SharedState& state);

  // Runs until the filesystem is unmounted and returns the ExitCode.
  // `on_ready` is called exactly once: with kExitOk when the first server
  // has answered INIT, or with the failure code if it never does.
  int Run(const std::function<void(int)>& on_ready);

 private:
  enum class Event { kServerExited, kStopSignal, kTick };

  Result<pid_t> Spawn();
  // Waits for the server to exit, a stop signal, or `timeout`.
  Event Wait(std::chrono::milliseconds timeout);
  bool ConnectionAlive() const;
  // Decides what follows a server exit; returns an ExitCode to stop with,
  // or -1 to start another server.
  int AfterExit(int status);
  bool CrashLimitReached();
  std::chrono::milliseconds Backoff() const;
  void GiveUp(const char* why);

  const KeeperConfig& config_;
  int fuse_fd_;
  SharedState& state_;
  std::string self_exe_;
  ScopedFd signal_fd_;
  ScopedFd pid_fd_;
  pid_t server_pid_ = -1;
  int server_status_ = 0;
  bool stopping_ = false;
  std::deque<std::chrono::steady_clock::time_point> crashes_;
};

}  // namespace ext4fh
