// The fusermount3 protocol (libfuse's lib/mount.c and util/fusermount.c),
// for mounting without root:
//   1. socketpair(AF_UNIX, SOCK_STREAM); one end stays open across exec and
//      its number goes into the helper's environment as _FUSE_COMMFD.
//   2. `fusermount3 -o OPTIONS -- MOUNTPOINT` (setuid root) opens /dev/fuse
//      with the caller's filesystem uid, so /dev/fuse must be readable and
//      writable by the caller (Debian's udev rules make it 0666). It
//      refuses a mountpoint the caller cannot write to (or a sticky one the
//      caller does not own), mounts with fd=, rootmode=, user_id= and
//      group_id= it computes itself (it silently drops any we would pass),
//      sends the fd as SCM_RIGHTS with one data byte, and exits 0.
//   3. We receive the fd on our end. EOF without an fd means it failed; its
//      reason is on its stderr, which we capture for the error line.
// fusermount3 exits 1 on any option it does not know. It keeps nosuid and
// nodev for users ("unsafe option suid ignored"), and allow_other needs
// user_allow_other in /etc/fuse.conf.
//
// Never `auto_unmount`: with it fusermount3 stays behind and unmounts when
// the socket closes, so a dying keeper would take the mount with it.
// Without it the mount lives as long as someone holds the fd, which is
// what crash survival needs (DESIGN section 4).

#include "fuse/fusermount.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <vector>

#include "util/exec_args.h"
#include "util/log.h"

extern char** environ;

namespace ext4fh {
namespace {

constexpr char kFuseDevice[] = "/dev/fuse";
constexpr char kCommFdEnv[] = "_FUSE_COMMFD";

// Escapes what fusermount3 splits on in fsname= and subtype= values.
std::string EscapeOption(const std::string& value) {
  std::string out;
  for (char c : value) {
    if (c == ',' || c == '\\') {
      out.push_back('\\');
    }
    out.push_back(c);
  }
  return out;
}

// `fusermount3 -o` options. No fd=, rootmode=, user_id= or group_id=:
// fusermount3 drops them and computes its own.
std::string FusermountOptions(const MountRequest& r) {
  std::string opts = "fsname=" + EscapeOption(r.fsname) + ",subtype=ext4fh";
  opts += r.read_only ? ",ro" : ",rw";
  for (const std::string& name : r.flags) {
    opts += "," + name;
  }
  if (r.allow_other) {
    opts += ",allow_other";
  }
  if (r.default_permissions) {
    opts += ",default_permissions";
  }
  return opts;
}

// The first executable fusermount3 on $PATH, then in /usr/bin and /bin;
// empty if there is none.
std::string FindFusermount() {
  const char* path = std::getenv("PATH");
  std::istringstream dirs(std::string(path ? path : "") + ":/usr/bin:/bin");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    std::string candidate = dir + "/fusermount3";
    if (!dir.empty() && access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
  }
  return "";
}

// Our environment without any _FUSE_COMMFD, plus _FUSE_COMMFD=comm_fd
// when comm_fd >= 0.
std::vector<std::string> HelperEnv(int comm_fd) {
  std::vector<std::string> env;
  std::string prefix = std::string(kCommFdEnv) + "=";
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    if (!std::string_view(*e).starts_with(prefix)) {
      env.emplace_back(*e);
    }
  }
  if (comm_fd >= 0) {
    env.push_back(prefix + std::to_string(comm_fd));
  }
  return env;
}

// A running fusermount3 and the read end of the pipe on its stderr.
struct Helper {
  pid_t pid = -1;
  ScopedFd stderr_pipe;
};

// In the child after fork: only async-signal-safe calls (the keeper may
// have threads). Nothing of ours but `comm_fd` reaches the setuid helper.
[[noreturn]] void ExecHelper(const char* path,
                             char* const* argv,
                             char* const* envp,
                             int err,
                             int comm_fd) {
  dup2(err, STDERR_FILENO);
  fcntl(STDERR_FILENO, F_SETFD, 0);
  close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
  if (comm_fd >= 0) {
    fcntl(comm_fd, F_SETFD, 0);
  }
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  execve(path, argv, envp);
  _exit(127);
}

// Starts `fusermount3 args...`. `comm_fd` (unless -1) stays open in the
// helper and is named in its _FUSE_COMMFD.
Result<Helper> StartFusermount(std::vector<std::string> args, int comm_fd) {
  std::string path = FindFusermount();
  if (path.empty()) {
    return Status::Error(ENOENT,
                         "fusermount3 not found (Debian package fuse3)");
  }
  args.insert(args.begin(), "fusermount3");
  std::vector<std::string> env = HelperEnv(comm_fd);
  std::vector<char*> argv = ExecArray(args);
  std::vector<char*> envp = ExecArray(env);
  int err[2];
  if (pipe2(err, O_CLOEXEC) != 0) {
    return Status::Error(errno, "cannot create pipe for fusermount3");
  }
  ScopedFd err_read(err[0]), err_write(err[1]);
  pid_t pid = fork();
  if (pid < 0) {
    return Status::Error(errno, "cannot start fusermount3");
  }
  if (pid == 0) {
    ExecHelper(path.c_str(), argv.data(), envp.data(), err[1], comm_fd);
  }
  return Helper{pid, std::move(err_read)};
}

// Waits for `helper`. Returns its exit code (-1 when killed by a signal,
// 127 when it could not be run) and sets `message` to its stderr, lines
// joined with "; ".
int FinishFusermount(Helper& helper, std::string* message) {
  std::string text;
  char buf[1024];
  ssize_t n;
  while ((n = read(helper.stderr_pipe.get(), buf, sizeof(buf))) != 0) {
    if (n < 0 && errno != EINTR) {
      break;
    }
    text.append(buf, n > 0 ? static_cast<size_t>(n) : 0);
  }
  int status = 0;
  while (waitpid(helper.pid, &status, 0) < 0 && errno == EINTR) {
  }
  std::istringstream lines(text);
  std::string line;
  message->clear();
  while (std::getline(lines, line)) {
    if (!line.empty()) {
      *message += (message->empty() ? "" : "; ") + line;
    }
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// Receives the fd sent as SCM_RIGHTS on `sock` (close-on-exec); -1 when the
// peer closed without sending one.
int ReceiveFd(int sock) {
  char byte = 0;
  iovec iov{&byte, 1};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))];
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof(control);
  ssize_t n;
  do {
    n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
  } while (n < 0 && errno == EINTR);
  if (n <= 0) {
    return -1;
  }
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr;
       c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
        c->cmsg_len == CMSG_LEN(sizeof(int))) {
      int fd;
      std::memcpy(&fd, CMSG_DATA(c), sizeof(fd));
      return fd;
    }
  }
  return -1;
}

// What to add when fusermount3 could not open /dev/fuse for this user.
std::string DeviceHint(const std::string& message) {
  if (message.find(kFuseDevice) == std::string::npos ||
      access(kFuseDevice, R_OK | W_OK) == 0) {
    return "";
  }
  return std::string(" (") + kFuseDevice +
         " must be readable and writable by you; Debian's udev rules make "
         "it mode 0666)";
}

}  // namespace

Result<ScopedFd> MountWithFusermount(const MountRequest& r) {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
    return Status::Error(errno, "cannot create socket for fusermount3");
  }
  ScopedFd ours(sv[0]), theirs(sv[1]);
  Result<Helper> helper = StartFusermount(
      {"-o", FusermountOptions(r), "--", r.mountpoint}, theirs.get());
  if (!helper.ok()) {
    return Status::Error(helper.err(), "cannot mount on " + r.mountpoint +
                                           ": " + helper.status().context());
  }
  theirs.reset();  // so that we see EOF when the helper exits without an fd
  ScopedFd fd(ReceiveFd(ours.get()));
  std::string message;
  int code = FinishFusermount(*helper, &message);
  if (fd.valid()) {  // mounted, whatever it said afterwards
    if (!message.empty()) {
      LOG(WARNING) << message;
    }
    return fd;
  }
  if (message.empty()) {
    message = code == 127
                  ? "cannot run fusermount3"
                  : "fusermount3 failed (exit " + std::to_string(code) + ")";
  }
  return Status::Error(EPERM, "cannot mount on " + r.mountpoint + ": " +
                                  message + DeviceHint(message));
}

Status UnmountWithFusermount(const std::string& mountpoint, bool lazy) {
  ASSIGN_OR_RETURN(Helper helper,
                   StartFusermount({lazy ? "-uz" : "-u", "--", mountpoint},
                                   /*comm_fd=*/-1));
  std::string message;
  if (FinishFusermount(helper, &message) != 0) {
    return Status::Error(
        EIO, "cannot unmount " + mountpoint + ": " +
                 (message.empty() ? "fusermount3 -u failed" : message));
  }
  return OkStatus();
}

}  // namespace ext4fh
