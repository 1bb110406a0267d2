#pragma once

// Driving a running ext4fh keeper from tests: `ext4fh ctl`, and killing or
// replacing its server.

#include <sys/types.h>

#include <map>
#include <string>

namespace ext4fh::testutil {

// `ext4fh ctl status MOUNTPOINT` as a map; empty when it failed.
std::map<std::string, std::string> CtlStatus(const std::string& mountpoint);

// The pid of the server that serves `mountpoint` now; 0 when none does
// (starting up, hooks running) or the keeper cannot be asked.
pid_t ServingServerPid(const std::string& mountpoint);

// Waits until a server other than `old_pid` serves `mountpoint`. Returns its
// pid, or 0 after `timeout_ms`.
pid_t WaitForNewServer(const std::string& mountpoint, pid_t old_pid,
                       int timeout_ms = 30000);

// Sends `sig` to the serving server; returns its pid (0 if none served).
pid_t SignalServer(const std::string& mountpoint, int sig);

}  // namespace ext4fh::testutil
