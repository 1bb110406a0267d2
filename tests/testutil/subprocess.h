#pragma once

// Running commands from tests.

#include <sys/types.h>

#include <string>
#include <vector>

namespace ext4fh::testutil {

struct CommandResult {
  int exit_code = -1;  // -1 when killed by a signal
  std::string out;     // stdout
  std::string err;     // stderr
};

// Runs `argv` to completion with stdin from /dev/null and returns its exit
// code and output. `timeout_s` kills it (SIGKILL) when exceeded.
CommandResult Run(const std::vector<std::string>& argv, int timeout_s = 120);

// Runs a shell command line with /bin/sh -c.
CommandResult Shell(const std::string& command, int timeout_s = 120);

// Starts `argv` in the background (stdout/stderr to `log_path`, or
// inherited when empty); returns its pid.
pid_t Spawn(const std::vector<std::string>& argv,
            const std::string& log_path = "");

// Waits up to `timeout_ms` for `pid` to exit; returns its wait status or -1.
int WaitFor(pid_t pid, int timeout_ms);

// Pids of the processes whose command line mentions `needle` (pgrep -f).
std::vector<pid_t> ProcessesWith(const std::string& needle);

}  // namespace ext4fh::testutil
