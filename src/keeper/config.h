#pragma once

// What the keeper needs to know, filled in by the command line (cli/).

#include <chrono>
#include <string>
#include <vector>

#include "fuse/server.h"

namespace ext4fh {

// Exit statuses of `ext4fh`, documented in README.md and --help.
enum ExitCode : int {
  kExitOk = 0,
  kExitFailure = 1,     // a failure after the checks: mount, server, I/O
  kExitUsage = 2,       // bad command line: unknown option or bad value
  kExitImage = 3,       // image missing, unreadable, not ext2/3/4,
                        // unsupported, damaged, or in use
  kExitMountpoint = 4,  // mountpoint missing, not a directory, mounted
};

struct KeeperConfig {
  ServerConfig server;
  std::string mountpoint;  // absolute
  bool foreground = false;
  bool allow_other = false;
  bool default_permissions = false;
  bool entry_timeout_given = false;
  // Extra mount flags passed through (nosuid, nodev, noexec, ...).
  std::vector<std::string> mount_flags;
  // Arguments that start a server with the same configuration (everything
  // after argv[0]); the keeper adds the fds it passes.
  std::vector<std::string> server_args;
  // Restart policy (issue: crash survival).
  int crash_limit = 5;
  std::chrono::seconds crash_window{60};
  bool run_fsck_hooks = true;   // false with -o nofsck
  std::string fsck_hooks_dir;  // user hooks, run after the shipped ones
};

}  // namespace ext4fh
