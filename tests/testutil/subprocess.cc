#include "testutil/subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <sstream>
#include <thread>

namespace ext4fh::testutil {
namespace {

std::vector<char*> Argv(std::vector<std::string>& args) {
  std::vector<char*> argv;
  for (std::string& a : args) {
    argv.push_back(a.data());
  }
  argv.push_back(nullptr);
  return argv;
}

// In a child after fork: stdin from /dev/null, stdout and stderr to `out`
// and `err` (kept when -1), and no other fd of the test. A child that
// inherited a test's fd on a FUSE file would, when it exits, wait for the
// FLUSH of that fd, which hangs while the test has the server stopped.
void SetUpChildFds(int out, int err) {
  int null = open("/dev/null", O_RDONLY);
  dup2(null, 0);
  if (out >= 0) {
    dup2(out, 1);
  }
  if (err >= 0) {
    dup2(err, 2);
  }
  close_range(3, ~0U, 0);
}

void Drain(int fd, std::string* out) {
  char buf[4096];
  ssize_t n = read(fd, buf, sizeof(buf));
  if (n > 0) {
    out->append(buf, static_cast<size_t>(n));
  }
}

}  // namespace

CommandResult Run(const std::vector<std::string>& args_in, int timeout_s) {
  std::vector<std::string> args = args_in;
  int out[2], err[2];
  if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) {
    return {};
  }
  pid_t pid = fork();
  if (pid == 0) {
    SetUpChildFds(out[1], err[1]);
    std::vector<char*> argv = Argv(args);
    execvp(argv[0], argv.data());
    _exit(127);
  }
  close(out[1]);
  close(err[1]);
  CommandResult result;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  bool out_open = true, err_open = true;
  while (out_open || err_open) {
    pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
    int n = poll(fds, 2, 100);
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid, SIGKILL);
      break;
    }
    if (n <= 0) {
      continue;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].revents & (POLLIN | POLLHUP)) {
        size_t before = (i == 0 ? result.out : result.err).size();
        Drain(fds[i].fd, i == 0 ? &result.out : &result.err);
        if ((i == 0 ? result.out : result.err).size() == before) {
          (i == 0 ? out_open : err_open) = false;
        }
      }
    }
  }
  close(out[0]);
  close(err[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

CommandResult Shell(const std::string& command, int timeout_s) {
  return Run({"/bin/sh", "-c", command}, timeout_s);
}

pid_t Spawn(const std::vector<std::string>& args_in, const std::string& log) {
  std::vector<std::string> args = args_in;
  pid_t pid = fork();
  if (pid == 0) {
    int fd = log.empty() ? -1
                         : open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    SetUpChildFds(fd, fd);
    std::vector<char*> argv = Argv(args);
    execvp(argv[0], argv.data());
    _exit(127);
  }
  return pid;
}

int WaitFor(pid_t pid, int timeout_ms) {
  for (int waited = 0; waited <= timeout_ms; waited += 10) {
    int status = 0;
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) {
      return status;
    }
    if (r < 0) {
      return -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return -1;
}

std::vector<pid_t> ProcessesWith(const std::string& needle) {
  CommandResult r = Run({"pgrep", "-f", "--", needle});
  std::vector<pid_t> pids;
  std::istringstream in(r.out);
  pid_t pid;
  while (in >> pid) {
    pids.push_back(pid);
  }
  return pids;
}

}  // namespace ext4fh::testutil
