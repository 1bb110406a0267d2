// ext4fh: wires the command line to the keeper, the server or ctl.

#include <iostream>

#include "cli/command_line.h"
#include "fuse/serve.h"
#include "keeper/ctl.h"
#include "keeper/keeper.h"
#include "util/log.h"

namespace {

int Run(const ext4fh::Invocation& inv) {
  using Mode = ext4fh::Invocation::Mode;
  ext4fh::LogLevel level = inv.keeper.server.debug ? ext4fh::LogLevel::kDebug
                                                   : ext4fh::LogLevel::kInfo;
  switch (inv.mode) {
    case Mode::kHelp:
      std::cout << ext4fh::HelpText();
      return ext4fh::kExitOk;
    case Mode::kVersion:
      std::cout << "ext4fh " << EXT4FH_VERSION << "\n";
      return ext4fh::kExitOk;
    case Mode::kServer:
      ext4fh::InitLogging("server", level, inv.syslog);
      return ext4fh::RunServer(inv.keeper.server, inv.fuse_fd, inv.state_fd);
    case Mode::kMount:
      ext4fh::InitLogging("keeper", level, false);
      return ext4fh::RunKeeper(inv.keeper);
    case Mode::kCtl:
      return ext4fh::RunCtl(inv.ctl_verb, inv.ctl_mountpoint);
  }
  return ext4fh::kExitFailure;
}

}  // namespace

int main(int argc, char** argv) try {
  return Run(ext4fh::ParseCommandLine(argc, argv));
} catch (const ext4fh::UsageError& e) {
  std::cerr << "ext4fh: " << e.what() << " (see ext4fh --help)\n";
  return ext4fh::kExitUsage;
} catch (const std::exception& e) {
  std::cerr << "ext4fh: " << e.what() << "\n";
  return ext4fh::kExitFailure;
}
