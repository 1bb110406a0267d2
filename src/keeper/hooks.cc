#include "keeper/hooks.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <string.h>
#include <sched.h>
#include <sys/eventfd.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <map>

#include "image/clean_state.h"
#include "util/exec_args.h"
#include "util/log.h"
#include "util/self_exe.h"

extern char** environ;

namespace ext4fh {
namespace {

bool IsDirectory(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

bool IsExecutableFile(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
         access(path.c_str(), X_OK) == 0;
}

std::string ExeDir() {
  std::string exe = SelfExecutable();
  size_t slash = exe.rfind('/');
  return slash == std::string::npos ? "." : exe.substr(0, slash);
}

// The executables in `dir`, in name order (bytewise, as ls with LC_ALL=C).
std::vector<std::string> ExecutablesIn(const std::string& dir) {
  std::vector<std::string> names;
  if (DIR* d = opendir(dir.c_str())) {
    while (dirent* e = readdir(d)) {
      std::string name = e->d_name;
      if (name[0] != '.' && IsExecutableFile(dir + "/" + name)) {
        names.push_back(name);
      }
    }
    closedir(d);
  } else {
    PLOG(WARNING) << "Cannot read fsck hooks directory " << dir;
  }
  std::sort(names.begin(), names.end());
  for (std::string& name : names) {
    name = dir + "/" + name;
  }
  return names;
}

std::string DescribeImageState(const KeeperConfig& config) {
  OpenOptions open;
  open.path = config.server.image_path;
  open.offset = config.server.offset;
  Result<CleanState> state = ReadCleanState(open);
  return state.ok() ? CleanStateName(*state) : "unreadable";
}

// The environment of a hook: ours, with the contract's variables set.
std::vector<std::string> HookEnvironment(const KeeperConfig& config,
                                         const HookReason& reason) {
  std::map<std::string, std::string> vars;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string var = *e;
    size_t eq = var.find('=');
    if (eq != std::string::npos && !var.starts_with("EXT4FH_")) {
      vars[var.substr(0, eq)] = var.substr(eq + 1);
    }
  }
  std::string path = vars.count("PATH") ? vars["PATH"] : "/usr/bin:/bin";
  vars["PATH"] = "/usr/sbin:/sbin:" + path;
  vars["EXT4FH_IMAGE"] = config.server.image_path;
  vars["EXT4FH_OFFSET"] = std::to_string(config.server.offset);
  vars["EXT4FH_MOUNTPOINT"] = config.mountpoint;
  vars["EXT4FH_READ_ONLY"] = config.server.read_write ? "0" : "1";
  vars["EXT4FH_REASON"] = reason.crash ? "crash" : "unclean";
  vars["EXT4FH_IMAGE_STATE"] = DescribeImageState(config);
  if (reason.server_status && WIFEXITED(*reason.server_status)) {
    vars["EXT4FH_EXIT_STATUS"] =
        std::to_string(WEXITSTATUS(*reason.server_status));
  }
  if (reason.server_status && WIFSIGNALED(*reason.server_status)) {
    vars["EXT4FH_SIGNAL"] = std::to_string(WTERMSIG(*reason.server_status));
  }
  std::vector<std::string> env;
  for (const auto& [key, value] : vars) {
    env.push_back(key + "=" + value);
  }
  return env;
}

// In a hook's child process: hides the ext4fh mount, which has no server
// while hooks run, in a private mount namespace. Anything that touched it
// would wait for a server that only starts after the hook (e2fsck's mount
// check stats the mountpoint of every mount of its image). Needs root.
bool HideMount(const char* mountpoint) {
  return geteuid() == 0 && unshare(CLONE_NEWNS) == 0 &&
         mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) == 0 &&
         umount2(mountpoint, MNT_DETACH) == 0;
}

// Starts `hook` with its stdout and stderr on `out`, stdin on /dev/null and
// no signals blocked. `hidden_env` is its environment when the mount could
// be hidden (or there is none yet), `visible_env` when not.
Result<pid_t> SpawnHook(const std::string& hook, const char* mountpoint,
                        std::vector<std::string> hidden_env,
                        std::vector<std::string> visible_env, int out) {
  std::vector<std::string> args = {hook};
  std::vector<char*> argv = ExecArray(args);
  std::vector<char*> hidden = ExecArray(hidden_env);
  std::vector<char*> visible = ExecArray(visible_env);
  pid_t pid = fork();
  if (pid < 0) {
    return Status::Error(errno, "cannot start fsck hook " + hook);
  }
  if (pid == 0) {
    // Only async-signal-safe calls from here: the keeper has threads.
    bool is_hidden = mountpoint == nullptr || HideMount(mountpoint);
    int null = open("/dev/null", O_RDONLY);
    dup2(null, STDIN_FILENO);
    dup2(out, STDOUT_FILENO);
    dup2(out, STDERR_FILENO);
    if (null > STDERR_FILENO) {
      close(null);
    }
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    execve(hook.c_str(), argv.data(), is_hidden ? hidden.data() : visible.data());
    _exit(127);
  }
  return pid;
}

// The text a terminal would show for one line of output: what follows the
// last carriage return that is followed by something visible (progress bars
// redraw with \r), without control characters.
std::string VisibleText(const std::string& line) {
  std::string shown;
  size_t start = 0;
  while (start <= line.size()) {
    size_t cr = line.find('\r', start);
    std::string part = line.substr(start, cr == std::string::npos
                                              ? std::string::npos
                                              : cr - start);
    std::string clean;
    for (char c : part) {
      if (static_cast<unsigned char>(c) >= 0x20) {
        clean += c;
      }
    }
    if (clean.find_first_not_of(' ') != std::string::npos) {
      shown = clean;
    }
    if (cr == std::string::npos) {
      break;
    }
    start = cr + 1;
  }
  return shown;
}

// Logs what the hook writes to `fd`, line by line, until it closes it.
void LogOutput(const std::string& name, int fd) {
  std::string pending;
  char buf[4096];
  ssize_t n;
  auto flush = [&](const std::string& line) {
    std::string text = VisibleText(line);
    if (!text.empty()) {
      LOG(INFO) << "fsck hook " << name << ": " << text;
    }
  };
  while ((n = read(fd, buf, sizeof(buf))) != 0) {
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      break;
    }
    pending.append(buf, static_cast<size_t>(n));
    size_t nl;
    while ((nl = pending.find('\n')) != std::string::npos) {
      flush(pending.substr(0, nl));
      pending.erase(0, nl + 1);
    }
  }
  flush(pending);
}

HookVerdict VerdictOf(int status) {
  if (!WIFEXITED(status)) {
    return HookVerdict::kStop;
  }
  switch (WEXITSTATUS(status)) {
    case 0:
      return HookVerdict::kContinue;
    case 1:
      return HookVerdict::kReadOnly;
    default:
      return HookVerdict::kStop;
  }
}

// Runs one hook. `crash`: the filesystem is mounted at `mountpoint`.
HookVerdict RunHook(const std::string& hook,
                    const std::vector<std::string>& env, bool crash,
                    const std::string& mountpoint) {
  std::string name = hook.substr(hook.rfind('/') + 1);
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) {
    PLOG(ERROR) << "Cannot create a pipe for fsck hook " << name;
    return HookVerdict::kStop;
  }
  ScopedFd read_end(pipe_fds[0]);
  ScopedFd write_end(pipe_fds[1]);
  std::vector<std::string> visible_env = env;
  visible_env.push_back("EXT4FH_MOUNT_VISIBLE=1");
  Result<pid_t> pid =
      SpawnHook(hook, crash ? mountpoint.c_str() : nullptr, env, visible_env,
                write_end.get());
  write_end.reset();
  if (!pid.ok()) {
    LOG(ERROR) << pid.status().ToString();
    return HookVerdict::kStop;
  }
  LogOutput(name, read_end.get());
  int status = 0;
  while (waitpid(*pid, &status, 0) < 0 && errno == EINTR) {
  }
  HookVerdict verdict = VerdictOf(status);
  LOG(INFO) << "fsck hook " << name << " ended ("
            << (WIFEXITED(status)
                    ? "exit status " + std::to_string(WEXITSTATUS(status))
                    : "signal " + std::to_string(WTERMSIG(status)))
            << "): " << HookVerdictName(verdict);
  return verdict;
}

}  // namespace

const char* HookVerdictName(HookVerdict verdict) {
  switch (verdict) {
    case HookVerdict::kContinue:
      return "continue";
    case HookVerdict::kReadOnly:
      return "read-only";
    case HookVerdict::kStop:
      return "stop";
  }
  return "stop";
}

std::string ShippedHooksDir() {
  std::string exe_dir = ExeDir();
  for (std::string dir : {exe_dir + "/fsck-hooks",
                          exe_dir + "/../lib/ext4fh/fsck-hooks"}) {
    if (IsDirectory(dir)) {
      return dir;
    }
  }
  return "";
}

std::vector<std::string> FindHooks(const KeeperConfig& config) {
  std::vector<std::string> hooks;
  if (!config.run_fsck_hooks) {
    return hooks;
  }
  std::string shipped = ShippedHooksDir();
  if (shipped.empty()) {
    LOG(WARNING) << "The shipped fsck hooks are not installed";
  } else {
    hooks = ExecutablesIn(shipped);
  }
  if (!config.fsck_hooks_dir.empty()) {
    std::vector<std::string> user = ExecutablesIn(config.fsck_hooks_dir);
    hooks.insert(hooks.end(), user.begin(), user.end());
  }
  return hooks;
}

HookVerdict RunHooks(const std::vector<std::string>& hooks,
                     const KeeperConfig& config, const HookReason& reason) {
  HookVerdict verdict = HookVerdict::kContinue;
  for (const std::string& hook : hooks) {
    // Each hook sees the state its predecessors left.
    std::vector<std::string> env = HookEnvironment(config, reason);
    verdict = std::max(
        verdict, RunHook(hook, env, reason.crash, config.mountpoint));
    if (verdict == HookVerdict::kStop) {
      break;
    }
  }
  return verdict;
}

Result<std::unique_ptr<HookJob>> HookJob::Start(
    std::vector<std::string> hooks, const KeeperConfig& config,
    HookReason reason, std::function<void()> prepare) {
  std::unique_ptr<HookJob> job(new HookJob());
  job->done_.reset(eventfd(0, EFD_CLOEXEC));
  if (!job->done_.valid()) {
    return Status::Error(errno, "cannot create an eventfd");
  }
  HookJob* raw = job.get();
  raw->thread_ = std::thread([raw, hooks = std::move(hooks), &config, reason,
                              prepare = std::move(prepare)] {
    if (prepare) {
      prepare();
    }
    raw->verdict_ = RunHooks(hooks, config, reason);
    uint64_t one = 1;
    (void)!write(raw->done_.get(), &one, sizeof(one));
  });
  return job;
}

HookJob::~HookJob() {
  if (thread_.joinable()) {
    thread_.join();
  }
}

HookVerdict HookJob::Wait() {
  if (thread_.joinable()) {
    thread_.join();
  }
  return verdict_;
}

}  // namespace ext4fh
