#include "testutil/keeper_ctl.h"

#include <signal.h>

#include <chrono>
#include <sstream>
#include <thread>

#include "testutil/mounts.h"
#include "testutil/subprocess.h"

namespace ext4fh::testutil {

std::map<std::string, std::string> CtlStatus(const std::string& mountpoint) {
  std::map<std::string, std::string> status;
  CommandResult r = Run({Ext4fhBinary(), "ctl", "status", mountpoint}, 30);
  if (r.exit_code != 0) {
    return status;
  }
  std::istringstream lines(r.out);
  std::string line;
  while (std::getline(lines, line)) {
    size_t colon = line.find(": ");
    if (colon != std::string::npos) {
      status[line.substr(0, colon)] = line.substr(colon + 2);
    }
  }
  return status;
}

pid_t ServingServerPid(const std::string& mountpoint) {
  std::map<std::string, std::string> status = CtlStatus(mountpoint);
  if (status["state"] != "serving") {
    return 0;
  }
  return static_cast<pid_t>(std::stol(status["server_pid"]));
}

pid_t WaitForNewServer(const std::string& mountpoint, pid_t old_pid,
                       int timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() +
                  std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    pid_t pid = ServingServerPid(mountpoint);
    if (pid != 0 && pid != old_pid) {
      return pid;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return 0;
}

pid_t SignalServer(const std::string& mountpoint, int sig) {
  pid_t pid = ServingServerPid(mountpoint);
  if (pid > 0) {
    kill(pid, sig);
  }
  return pid;
}

}  // namespace ext4fh::testutil
