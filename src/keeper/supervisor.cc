#include "keeper/supervisor.h"

#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

// glibc 2.36's <sys/pidfd.h> lacks C++ linkage guards.
extern "C" {
#include <sys/pidfd.h>
}

#include "fuse/mount.h"
#include "fuse/serve.h"
#include "keeper/shelter.h"
#include "util/exec_args.h"
#include "util/log.h"
#include "util/self_exe.h"

namespace ext4fh {
namespace {

// How long a server may take to stop for a planned restart before it is
// killed (and the restart becomes a crash recovery).
constexpr std::chrono::seconds kHandOverTimeout{10};
// How often the keeper looks whether a starting server is ready.
constexpr std::chrono::milliseconds kReadyPoll{2};

sigset_t StopSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  return set;
}

// "exit 1", "signal KILL", or "none".
std::string DescribeStatus(int status) {
  if (status < 0) {
    return "none";
  }
  if (WIFSIGNALED(status)) {
    const char* name = sigabbrev_np(WTERMSIG(status));
    return std::string("signal ") +
           (name ? name : std::to_string(WTERMSIG(status)).c_str());
  }
  return "exit " + std::to_string(WEXITSTATUS(status));
}

const char* PhaseName(int phase) {
  static const char* const kNames[] = {"starting",   "serving",
                                       "handing-over", "running-fsck-hooks",
                                       "backing-off", "stopped"};
  return kNames[phase];
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

Supervisor::Supervisor(const KeeperConfig& config, ScopedFd& fuse_fd,
                       SharedState& state, bool read_only)
    : config_(config),
      fuse_fd_(fuse_fd),
      state_(state),
      read_only_(read_only),
      self_exe_(SelfExecutable()) {
  sigset_t set = StopSignals();
  sigprocmask(SIG_BLOCK, &set, nullptr);
  signal_fd_.reset(signalfd(-1, &set, SFD_CLOEXEC));
  Result<ControlServer> control = ControlServer::Listen(config.mountpoint);
  if (control.ok()) {
    control_.emplace(std::move(control).value());
  } else {
    LOG(WARNING) << control.status().ToString() << "; ext4fh ctl will not "
                 << "reach this mount";
  }
}

Result<pid_t> Supervisor::Spawn() {
  std::vector<std::string> args = {
      self_exe_, "--internal-server=" + std::to_string(fuse_fd_.get()) + "," +
                     std::to_string(state_.fd())};
  if (!config_.foreground) {
    args.push_back("--internal-syslog");
  }
  args.insert(args.end(), config_.server_args.begin(),
              config_.server_args.end());
  if (read_only_) {
    args.insert(args.end(), {"-o", "ro"});
  }
  std::vector<char*> argv = ExecArray(args);
  pid_t pid = fork();
  if (pid < 0) {
    return Status::Error(errno, "cannot fork server");
  }
  if (pid == 0) {
    ClearCloexec(fuse_fd_.get());
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
  // Crash points (util/fault.h) are for the first server only; the one
  // that replaces it must run normally.
  unsetenv("EXT4FH_FAULT");
  return pid;
}

void Supervisor::StartServer() {
  Result<pid_t> pid = Spawn();
  if (!pid.ok()) {
    LOG(ERROR) << pid.status().ToString();
    GiveUp("cannot start a server", kExitFailure);
    return;
  }
  pid_fd_.reset(pidfd_open(*pid, 0));
  server_pid_ = *pid;
  state_.counters().server_pid.store(*pid);
  if (spawned_++ > 0) {
    state_.counters().restarts.fetch_add(1);
  }
  phase_ = Phase::kStarting;
  LOG(INFO) << "Started server " << *pid << (read_only_ ? " (read-only)" : "");
}

std::chrono::milliseconds Supervisor::PollTimeout() const {
  using std::chrono::milliseconds;
  if (phase_ == Phase::kStarting) {
    return kReadyPoll;
  }
  if (phase_ == Phase::kHandingOver || phase_ == Phase::kBackingOff) {
    auto left = std::chrono::duration_cast<milliseconds>(deadline_ -
                                                         Clock::now());
    return std::max(milliseconds(0), left + milliseconds(1));
  }
  return milliseconds(1000);
}

void Supervisor::PollOnce() {
  std::vector<pollfd> fds = {{signal_fd_.get(), POLLIN, 0},
                             {pid_fd_.get(), POLLIN, 0},
                             {control_ ? control_->fd() : -1, POLLIN, 0},
                             {hooks_ ? hooks_->done_fd() : -1, POLLIN, 0}};
  int n = poll(fds.data(), fds.size(),
               static_cast<int>(PollTimeout().count()));
  if (n > 0 && (fds[0].revents & POLLIN)) {
    OnStopSignal();
  }
  if (n > 0 && (fds[1].revents & POLLIN)) {
    OnServerExit();
  }
  if (n > 0 && (fds[3].revents & POLLIN)) {
    OnHooksDone();
  }
  if (n > 0 && (fds[2].revents & POLLIN)) {
    OnControl();
  }
  OnDeadlines();
  CheckReady();
}

void Supervisor::OnStopSignal() {
  signalfd_siginfo info{};
  (void)!read(signal_fd_.get(), &info, sizeof(info));
  LOG(INFO) << "Unmounting on signal " << info.ssi_signo;
  unmount_requested_ = true;
  // A fuseblk unmount returns once a server has answered DESTROY, which
  // may be after hooks and a restart: wait for it on a thread of its own.
  if (!unmounter_.joinable()) {
    unmounter_ = std::thread([mountpoint = config_.mountpoint] {
      (void)UnmountFuse(mountpoint, /*lazy=*/true);
    });
  }
  if (server_pid_ < 0 && hooks_ == nullptr) {
    Finish(kExitOk);  // no server to see the unmount
  }
}

void Supervisor::OnServerExit() {
  int status = 0;
  waitpid(server_pid_, &status, 0);
  LOG(INFO) << "Server " << server_pid_ << " ended: "
            << DescribeStatus(status);
  pid_fd_.reset();
  server_pid_ = -1;
  state_.counters().last_exit.store(status);
  state_.counters().server_pid.store(0);
  bool clean = WIFEXITED(status) && WEXITSTATUS(status) == kServerDone;
  if (!ConnectionAlive()) {
    Finish(clean || unmount_requested_ ? kExitOk : kExitFailure);
  } else if (clean || unmount_requested_) {
    StartServer();  // a planned hand-over, or let the next see the unmount
  } else if (WIFEXITED(status) && WEXITSTATUS(status) == kServerRefused) {
    GiveUp("the server refuses the image", kExitImage);
  } else if (WIFEXITED(status) && WEXITSTATUS(status) == kServerPanicked) {
    GiveUp("corruption with errors=panic", kExitFailure);
  } else {
    OnCrash(status);
  }
}

void Supervisor::OnCrash(int status) {
  if (CrashLimitReached()) {
    GiveUp("too many crashes", kExitFailure);
    return;
  }
  std::vector<std::string> hooks = FindHooks(config_);
  if (hooks.empty()) {
    deadline_ = Clock::now() + Backoff();
    phase_ = Phase::kBackingOff;
    return;
  }
  // Open unlinked files must outlive the e2fsck the hooks run.
  auto shelter = [this] {
    if (!read_only_) {
      ShelterHeldOrphans(config_, state_);
    }
  };
  Result<std::unique_ptr<HookJob>> job = HookJob::Start(
      std::move(hooks), config_, HookReason{true, status}, shelter);
  if (!job.ok()) {
    LOG(ERROR) << job.status().ToString();
    GiveUp("cannot run the fsck hooks", kExitFailure);
    return;
  }
  hooks_ = std::move(job).value();
  phase_ = Phase::kRecovering;
}

void Supervisor::OnHooksDone() {
  HookVerdict verdict = hooks_->Wait();
  hooks_.reset();
  if (!ConnectionAlive()) {
    Finish(kExitOk);  // unmounted meanwhile
  } else if (verdict == HookVerdict::kStop) {
    GiveUp("an fsck hook said stop", kExitFailure);
  } else {
    read_only_ = read_only_ || verdict == HookVerdict::kReadOnly;
    deadline_ = Clock::now() + Backoff();
    phase_ = Phase::kBackingOff;
  }
}

void Supervisor::OnDeadlines() {
  if (Clock::now() < deadline_) {
    return;
  }
  if (phase_ == Phase::kBackingOff) {
    StartServer();
  } else if (phase_ == Phase::kHandingOver && server_pid_ > 0) {
    LOG(WARNING) << "Server " << server_pid_ << " did not stop in "
                 << kHandOverTimeout.count() << " s; killing it";
    kill(server_pid_, SIGKILL);
    deadline_ = Clock::time_point::max();
  }
}

void Supervisor::CheckReady() {
  if (phase_ != Phase::kStarting ||
      state_.counters().ready_pid.load() != server_pid_) {
    return;
  }
  phase_ = Phase::kServing;
  if (!reported_ready_) {
    reported_ready_ = true;
    on_ready_(kExitOk);
  }
  std::string answer = "server_pid: " + std::to_string(server_pid_) + "\n";
  for (ControlRequest& request : waiting_for_restart_) {
    Respond(request, answer);
  }
  waiting_for_restart_.clear();
}

void Supervisor::OnControl() {
  std::optional<ControlRequest> request = control_->Accept();
  if (!request) {
    return;
  }
  if (request->verb == "status") {
    Respond(*request, StatusText());
  } else if (request->verb == "restart") {
    LOG(INFO) << "Restart requested";
    if (phase_ == Phase::kServing) {
      kill(server_pid_, SIGTERM);
      phase_ = Phase::kHandingOver;
      deadline_ = Clock::now() + kHandOverTimeout;
    }
    waiting_for_restart_.push_back(std::move(*request));
  } else {
    Respond(*request, "error: unknown request '" + request->verb + "'\n");
  }
}

std::string Supervisor::StatusText() const {
  StateCounters& c = state_.counters();
  auto line = [](const char* key, const std::string& value) {
    return std::string(key) + ": " + value + "\n";
  };
  return line("image", config_.server.image_path) +
         line("mountpoint", config_.mountpoint) +
         line("state", PhaseName(static_cast<int>(phase_))) +
         line("read_only", read_only_ || !config_.server.read_write ? "yes"
                                                                   : "no") +
         line("keeper_pid", std::to_string(getpid())) +
         line("server_pid", std::to_string(std::max(server_pid_, 0))) +
         line("restarts", std::to_string(c.restarts.load())) +
         line("recent_crashes", std::to_string(crashes_.size())) +
         line("last_exit", DescribeStatus(static_cast<int>(c.last_exit.load()))) +
         line("stale_inodes_marked", std::to_string(c.stale_inodes_marked.load())) +
         line("inflight_resent", std::to_string(c.inflight_resent.load())) +
         line("cached_inodes", std::to_string(c.cached_inodes.load()));
}

bool Supervisor::ConnectionAlive() const {
  if (!fuse_fd_.valid()) {
    return false;
  }
  pollfd pfd{fuse_fd_.get(), 0, 0};
  return poll(&pfd, 1, 0) >= 0 &&
         !(pfd.revents & (POLLERR | POLLHUP | POLLNVAL));
}

bool Supervisor::CrashLimitReached() {
  auto now = Clock::now();
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

void Supervisor::GiveUp(const char* why, int exit_code) {
  LOG(ERROR) << "Giving up on " << config_.mountpoint << ": " << why
             << "; unmounting";
  // No server will answer a fuseblk DESTROY: abort the connection first,
  // so that the unmount does not wait for one.
  fuse_fd_.reset();
  Status st = UnmountFuse(config_.mountpoint, /*lazy=*/true);
  if (!st.ok()) {
    LOG(ERROR) << st.ToString();
  }
  Finish(exit_code);
}

void Supervisor::Finish(int exit_code) {
  phase_ = Phase::kDone;
  exit_code_ = exit_code;
  for (ControlRequest& request : waiting_for_restart_) {
    Respond(request, "error: the filesystem was unmounted\n");
  }
  waiting_for_restart_.clear();
}

int Supervisor::Run(const std::function<void(int)>& on_ready) {
  on_ready_ = on_ready;
  StartServer();
  while (phase_ != Phase::kDone) {
    PollOnce();
  }
  if (!reported_ready_) {
    on_ready_(exit_code_ == kExitOk ? kExitFailure : exit_code_);
  }
  if (unmounter_.joinable()) {
    unmounter_.join();
  }
  return exit_code_;
}

}  // namespace ext4fh
