#pragma once

// The command line: the only place that parses argv (Boost.Program_options).
//
//   ext4fh [options] IMAGE MOUNTPOINT     mount (what mount.fuse3 and fstab call)
//   ext4fh ctl status|restart MOUNTPOINT  talk to a running keeper
//
// FUSE conventions: -f foreground, -d debug (implies -f), -o opt[,opt...].

#include <stdexcept>
#include <string>
#include <vector>

#include "keeper/config.h"

namespace ext4fh {

// A bad command line; what() is one line for the user.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct Invocation {
  enum class Mode { kMount, kServer, kCtl, kHelp, kVersion };
  Mode mode = Mode::kMount;
  KeeperConfig keeper;
  // Server mode (started by the keeper, hidden from --help).
  int fuse_fd = -1;
  int state_fd = -1;
  bool syslog = false;
  // ctl mode: the verb and the mountpoint.
  std::string ctl_verb;
  std::string ctl_mountpoint;
};

// Parses argv. Throws UsageError on an unknown option, a bad value, or
// missing or extra arguments.
Invocation ParseCommandLine(int argc, const char* const argv[]);

// The --help text.
std::string HelpText();

}  // namespace ext4fh
