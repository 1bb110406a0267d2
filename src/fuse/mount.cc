#include "fuse/mount.h"

#define FUSE_USE_VERSION 35
#include <fcntl.h>
#include <fuse_lowlevel.h>
#include <linux/fuse.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <vector>

namespace ext4fh {
namespace {

// Escapes characters that libfuse's option parser treats specially.
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

std::string MountOptions(const MountRequest& r) {
  std::string opts = "fsname=" + EscapeOption(r.fsname) + ",subtype=ext4fh";
  if (r.read_only) {
    opts += ",ro";
  }
  if (r.allow_other) {
    opts += ",allow_other";
  }
  if (r.default_permissions) {
    opts += ",default_permissions";
  }
  return opts;
}

}  // namespace

Result<ScopedFd> MountFuse(const MountRequest& request) {
  std::string opts = MountOptions(request);
  std::vector<const char*> argv = {"ext4fh", "-o", opts.c_str()};
  fuse_args args = FUSE_ARGS_INIT(static_cast<int>(argv.size()),
                                  const_cast<char**>(argv.data()));
  fuse_lowlevel_ops ops{};
  fuse_session* se = fuse_session_new(&args, &ops, sizeof(ops), nullptr);
  if (se == nullptr) {
    return Status::Error(EINVAL, "cannot prepare mount options");
  }
  if (fuse_session_mount(se, request.mountpoint.c_str()) != 0) {
    fuse_session_destroy(se);
    return Status::Error(EIO, "cannot mount on " + request.mountpoint);
  }
  ScopedFd fd(fcntl(fuse_session_fd(se), F_DUPFD_CLOEXEC, 3));
  int err = errno;
  fuse_session_destroy(se);  // closes its own fd only; the mount stays
  if (!fd.valid()) {
    return Status::Error(err, "cannot keep /dev/fuse fd");
  }
  return fd;
}

Status UnmountFuse(const std::string& mountpoint, bool lazy) {
  if (geteuid() == 0) {
    if (umount2(mountpoint.c_str(), lazy ? MNT_DETACH : 0) != 0) {
      return Status::Error(errno, "cannot unmount " + mountpoint);
    }
    return OkStatus();
  }
  pid_t pid = fork();
  if (pid == 0) {
    execlp("fusermount3", "fusermount3", lazy ? "-uz" : "-u", "--",
           mountpoint.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  int status = 0;
  if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) ||
      WEXITSTATUS(status) != 0) {
    return Status::Error(EIO, "fusermount3 -u failed for " + mountpoint);
  }
  return OkStatus();
}

Result<std::string> ReadInitRequest(int fuse_fd) {
  std::vector<char> buf(1 << 16);
  while (true) {
    ssize_t n = read(fuse_fd, buf.data(), buf.size());
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
      continue;
    }
    if (n < 0) {
      return Status::Error(errno, "cannot read INIT from /dev/fuse");
    }
    fuse_in_header in{};
    if (static_cast<size_t>(n) < sizeof(in)) {
      return Status::Error(EPROTO, "short request from /dev/fuse");
    }
    std::memcpy(&in, buf.data(), sizeof(in));
    if (in.opcode != FUSE_INIT) {
      return Status::Error(EPROTO, "first request is not INIT");
    }
    return std::string(buf.data(), static_cast<size_t>(n));
  }
}

}  // namespace ext4fh
