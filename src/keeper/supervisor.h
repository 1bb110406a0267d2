#pragma once

// The keeper's main loop: starts the server process, watches it, the
// connection and the control socket, restarts the server when it dies
// while the filesystem is still mounted, and returns once the filesystem
// is unmounted.
//
// Restart rules:
//   - exit 0 with the connection alive: a planned hand-over (ctl restart
//     sends the server SIGTERM); start the next server at once;
//   - any other exit or signal: a crash; run the fsck hooks, then restart.
//     The first crash restarts at once; each further crash within
//     `crash_window` waits twice as long, from 100 ms up to 5 s;
//   - `crash_limit` crashes within `crash_window`, a hook that says "stop",
//     or a server that refuses the image: give up and unmount (lazily), so
//     applications see the filesystem go away instead of hanging.
// A hook that says "read-only" makes this and every later server refuse
// changes with EROFS.
// SIGTERM, SIGINT and SIGHUP to the keeper unmount the filesystem; the
// server then sees the unmount, flushes and exits.

#include <sys/types.h>

#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "fuse/shared_state.h"
#include "keeper/config.h"
#include "keeper/control.h"
#include "keeper/hooks.h"
#include "util/scoped_fd.h"
#include "util/status.h"

namespace ext4fh {

class Supervisor {
 public:
  // `read_only`: serve read-only although the mount is read-write (an
  // fsck hook said so before the first mount).
  // `fuse_fd`: the connection; the supervisor closes it when it gives up.
  Supervisor(const KeeperConfig& config, ScopedFd& fuse_fd, SharedState& state,
             bool read_only);

  // Runs until the filesystem is unmounted and returns the ExitCode.
  // `on_ready` is called exactly once: with kExitOk when the first server
  // has answered INIT, or with the failure code if it never does.
  int Run(const std::function<void(int)>& on_ready);

 private:
  using Clock = std::chrono::steady_clock;
  enum class Phase {
    kStarting,     // a server runs but has not finished starting up
    kServing,      // the server is ready
    kHandingOver,  // the server was asked to stop for a planned restart
    kRecovering,   // the fsck hooks run
    kBackingOff,   // waiting before the next restart
    kDone,         // the loop ends with `exit_code_`
  };

  void StartServer();
  Result<pid_t> Spawn();
  // One round of the loop: waits for an event, or a deadline, and
  // handles it.
  void PollOnce();
  std::chrono::milliseconds PollTimeout() const;
  void OnStopSignal();
  void OnServerExit();
  void OnCrash(int status);
  void OnHooksDone();
  void OnDeadlines();
  void CheckReady();
  void OnControl();
  std::string StatusText() const;
  bool ConnectionAlive() const;
  bool CrashLimitReached();
  std::chrono::milliseconds Backoff() const;
  void GiveUp(const char* why, int exit_code);
  void Finish(int exit_code);

  const KeeperConfig& config_;
  ScopedFd& fuse_fd_;
  std::thread unmounter_;  // a fuseblk unmount waits for the server
  SharedState& state_;
  bool read_only_;
  std::string self_exe_;
  std::function<void(int)> on_ready_;
  bool reported_ready_ = false;
  Phase phase_ = Phase::kStarting;
  int exit_code_ = 0;
  ScopedFd signal_fd_;
  std::optional<ControlServer> control_;
  ScopedFd pid_fd_;
  pid_t server_pid_ = -1;
  int spawned_ = 0;
  bool unmount_requested_ = false;
  std::unique_ptr<HookJob> hooks_;
  Clock::time_point deadline_;  // hand-over timeout, or end of the backoff
  std::deque<Clock::time_point> crashes_;
  std::vector<ControlRequest> waiting_for_restart_;
};

}  // namespace ext4fh
