#include "keeper/supervisor.h"

#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

// glibc 2.36's <sys/pidfd.h> lacks C++ linkage guards.
extern "C" {
#include <sys/pidfd.h>
}

#include <thread>
#include <vector>

#include "fuse/mount.h"
#include "fuse/serve.h"
#include "util/log.h"

namespace ext4fh {
namespace {

std::string SelfExe() {
  char buf[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "ext4fh";
}

sigset_t StopSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  return set;
}

std::string DescribeStatus(int status) {
  if (WIFSIGNALED(status)) {
    return "killed by signal " + std::to_string(WTERMSIG(status));
  }
  return "exit status " + std::to_string(WEXITSTATUS(status));
}

void ClearCloexec(int fd) {
  fcntl(fd, F_SETFD, 0);
}

// A background server must not hold the terminal (or a caller's pipes)
// that the foreground ext4fh had; it logs to syslog.
void DetachStdio() {
  int null = open("/dev/null", O_RDWR);
  if (null >= 0) {
    dup2(null, STDIN_FILENO);
    dup2(null, STDOUT_FILENO);
    dup2(null, STDERR_FILENO);
  }
}

}  // namespace

Supervisor::Supervisor(const KeeperConfig& config, int fuse_fd,
                       SharedState& state)
    : config_(config), fuse_fd_(fuse_fd), state_(state), self_exe_(SelfExe()) {
  sigset_t set = StopSignals();
  sigprocmask(SIG_BLOCK, &set, nullptr);
  signal_fd_.reset(signalfd(-1, &set, SFD_CLOEXEC));
}

Result<pid_t> Supervisor::Spawn() {
  std::vector<std::string> args = {
      self_exe_, "--internal-server=" + std::to_string(fuse_fd_) + "," +
                     std::to_string(state_.fd())};
  if (!config_.foreground) {
    args.push_back("--internal-syslog");
  }
  args.insert(args.end(), config_.server_args.begin(),
              config_.server_args.end());
  std::vector<char*> argv;
  for (std::string& a : args) {
    argv.push_back(a.data());
  }
  argv.push_back(nullptr);
  pid_t pid = fork();
  if (pid < 0) {
    return Status::Error(errno, "cannot fork server");
  }
  if (pid == 0) {
    ClearCloexec(fuse_fd_);
    ClearCloexec(state_.fd());
    if (!config_.foreground) {
      DetachStdio();
    }
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    execv(self_exe_.c_str(), argv.data());
    _exit(127);
  }
  pid_fd_.reset(pidfd_open(pid, 0));
  server_pid_ = pid;
  state_.counters().server_pid.store(pid);
  LOG(INFO) << "Started server " << pid;
  return pid;
}

Supervisor::Event Supervisor::Wait(std::chrono::milliseconds timeout) {
  pollfd fds[2] = {{signal_fd_.get(), POLLIN, 0}, {pid_fd_.get(), POLLIN, 0}};
  int n = poll(fds, 2, static_cast<int>(timeout.count()));
  if (n > 0 && (fds[0].revents & POLLIN)) {
    signalfd_siginfo info{};
    (void)!read(signal_fd_.get(), &info, sizeof(info));
    LOG(INFO) << "Unmounting on signal " << info.ssi_signo;
    return Event::kStopSignal;
  }
  if (n > 0 && (fds[1].revents & POLLIN)) {
    waitpid(server_pid_, &server_status_, 0);
    return Event::kServerExited;
  }
  return Event::kTick;
}

bool Supervisor::ConnectionAlive() const {
  pollfd pfd{fuse_fd_, 0, 0};
  return poll(&pfd, 1, 0) >= 0 &&
         !(pfd.revents & (POLLERR | POLLHUP | POLLNVAL));
}

bool Supervisor::CrashLimitReached() {
  auto now = std::chrono::steady_clock::now();
  crashes_.push_back(now);
  while (!crashes_.empty() && now - crashes_.front() > config_.crash_window) {
    crashes_.pop_front();
  }
  return static_cast<int>(crashes_.size()) >= config_.crash_limit;
}

// No wait after a first crash (a restart must be quick); then 100 ms,
// doubling, up to 5 s.
std::chrono::milliseconds Supervisor::Backoff() const {
  if (crashes_.size() <= 1) {
    return std::chrono::milliseconds(0);
  }
  int64_t ms = 100LL << std::min<size_t>(crashes_.size() - 2, 6);
  return std::chrono::milliseconds(std::min<int64_t>(ms, 5000));
}

void Supervisor::GiveUp(const char* why) {
  LOG(ERROR) << "Giving up on " << config_.mountpoint << ": " << why
             << "; unmounting";
  Status st = UnmountFuse(config_.mountpoint, /*lazy=*/true);
  if (!st.ok()) {
    LOG(ERROR) << st.ToString();
  }
}

int Supervisor::AfterExit(int status) {
  state_.counters().last_exit.store(status);
  state_.counters().server_pid.store(0);
  bool clean = WIFEXITED(status) && WEXITSTATUS(status) == kServerDone;
  LOG(INFO) << "Server " << server_pid_ << " ended: " << DescribeStatus(status);
  if (!ConnectionAlive()) {
    return clean ? kExitOk : kExitFailure;
  }
  if (stopping_) {
    return -1;  // unmount requested; let the next server see it
  }
  if (clean) {
    return -1;  // planned hand-over
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == kServerRefused) {
    GiveUp("the server refuses the image");
    return kExitImage;
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == kServerPanicked) {
    GiveUp("corruption with errors=panic");
    return kExitFailure;
  }
  if (CrashLimitReached()) {
    GiveUp("too many crashes");
    return kExitFailure;
  }
  std::this_thread::sleep_for(Backoff());
  state_.counters().restarts.fetch_add(1);
  return -1;
}

int Supervisor::Run(const std::function<void(int)>& on_ready) {
  bool ready = false;
  auto report = [&](int code) {
    if (!ready) {
      ready = true;
      on_ready(code);
    }
  };
  while (true) {
    Result<pid_t> pid = Spawn();
    if (!pid.ok()) {
      LOG(ERROR) << pid.status().ToString();
      GiveUp("cannot start a server");
      report(kExitFailure);
      return kExitFailure;
    }
    while (true) {
      Event event = Wait(std::chrono::milliseconds(ready ? 1000 : 5));
      if (!ready && state_.has_init_reply()) {
        report(kExitOk);
      }
      if (event == Event::kStopSignal) {
        stopping_ = true;
        (void)UnmountFuse(config_.mountpoint, /*lazy=*/true);
      } else if (event == Event::kServerExited) {
        break;
      }
    }
    int code = AfterExit(server_status_);
    if (code >= 0) {
      report(code == kExitOk ? kExitFailure : code);
      return code;
    }
  }
}

}  // namespace ext4fh
