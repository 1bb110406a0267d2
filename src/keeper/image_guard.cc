#include "keeper/image_guard.h"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <sys/eventfd.h>
#include <sys/fanotify.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>

#include "util/log.h"

namespace ext4fh {
namespace {

// FAN_DENY_ERRNO (Linux 6.14, after Debian 12's headers): a denial that
// makes the opener's open() fail with `err`. Only a pre-content group may
// send it.
constexpr uint32_t kErrnoShift = 24;
constexpr uint32_t DenyWithErrno(int err) {
  return FAN_DENY | ((static_cast<uint32_t>(err) & 0xff) << kErrnoShift);
}

// A field of /proc/PID/status ("Tgid:", "PPid:"); -1 if unreadable.
pid_t StatusField(pid_t pid, const std::string& key) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key, 0) == 0) {
      return static_cast<pid_t>(std::atol(line.c_str() + key.size()));
    }
  }
  return -1;
}

// Whether thread `tid` belongs to `root` or one of its descendants.
bool IsBelow(pid_t tid, pid_t root) {
  pid_t p = StatusField(tid, "Tgid:");
  for (int depth = 0; p > 1 && depth < 64; ++depth) {
    if (p == root) {
      return true;
    }
    p = StatusField(p, "PPid:");
  }
  return false;
}

// The open flags of thread `tid`, which waits inside open(2) for our
// answer; -1 when they cannot be told. /proc/TID/syscall says "running"
// until the thread is asleep, so it is read again until it is.
long OpenerFlags(pid_t tid) {
  std::string path = "/proc/" + std::to_string(tid) + "/syscall";
  std::string line;
  for (int i = 0; i < 10000; ++i) {
    std::ifstream in(path);
    if (!std::getline(in, line)) {
      return -1;
    }
    if (line.rfind("running", 0) != 0) {
      break;
    }
    sched_yield();
  }
  long nr = -1;
  unsigned long args[3] = {};
  if (std::sscanf(line.c_str(), "%ld %lx %lx %lx", &nr, &args[0], &args[1],
                  &args[2]) < 4) {
    return -1;
  }
  switch (nr) {
    case SYS_open:
      return static_cast<long>(args[1]);
    case SYS_openat:
    case SYS_open_by_handle_at:
      return static_cast<long>(args[2]);
    default:  // creat, openat2 (flags behind a pointer), unknown
      return -1;
  }
}

bool IsReadOnly(long flags) {
  return flags >= 0 && (flags & O_ACCMODE) == O_RDONLY && !(flags & O_TRUNC);
}

std::string CommandOf(pid_t tid) {
  std::ifstream in("/proc/" + std::to_string(tid) + "/comm");
  std::string comm;
  std::getline(in, comm);
  return comm.empty() ? "?" : comm;
}

}  // namespace

Result<std::unique_ptr<ImageGuard>> ImageGuard::Start(
    const std::string& image_path) {
  ScopedFd fan(fanotify_init(FAN_CLASS_PRE_CONTENT | FAN_CLOEXEC |
                                 FAN_REPORT_TID,
                             O_RDONLY | O_LARGEFILE | O_CLOEXEC));
  if (!fan.valid()) {
    return Status::Error(errno, std::string("cannot guard the image: "
                                            "fanotify: ") +
                                    std::strerror(errno));
  }
  if (fanotify_mark(fan.get(), FAN_MARK_ADD, FAN_OPEN_PERM, AT_FDCWD,
                    image_path.c_str()) != 0) {
    return Status::Error(errno, "cannot guard " + image_path + ": " +
                                    std::strerror(errno));
  }
  ScopedFd stop(eventfd(0, EFD_CLOEXEC));
  if (!stop.valid()) {
    return Status::Error(errno, "cannot create an eventfd");
  }
  std::unique_ptr<ImageGuard> guard(
      new ImageGuard(std::move(fan), std::move(stop), image_path));
  guard->thread_ = std::thread(&ImageGuard::Serve, guard.get());
  return guard;
}

ImageGuard::ImageGuard(ScopedFd fanotify, ScopedFd stop,
                       std::string image_path)
    : fanotify_(std::move(fanotify)),
      stop_(std::move(stop)),
      image_path_(std::move(image_path)),
      keeper_(getpid()) {}

ImageGuard::~ImageGuard() {
  uint64_t one = 1;
  (void)!write(stop_.get(), &one, sizeof(one));
  if (thread_.joinable()) {
    thread_.join();
  }
}

// This thread must never open the image: its own open would wait for an
// answer only it can give.
void ImageGuard::Serve() {
  alignas(fanotify_event_metadata) char buf[4096];
  while (true) {
    pollfd fds[2] = {{fanotify_.get(), POLLIN, 0}, {stop_.get(), POLLIN, 0}};
    if (poll(fds, 2, -1) < 0 && errno != EINTR) {
      PLOG(ERROR) << "Cannot guard " << image_path_;
      return;
    }
    if (fds[1].revents & POLLIN) {
      return;
    }
    ssize_t n = read(fanotify_.get(), buf, sizeof(buf));
    if (n <= 0) {
      continue;
    }
    auto* event = reinterpret_cast<fanotify_event_metadata*>(buf);
    for (; FAN_EVENT_OK(event, n); event = FAN_EVENT_NEXT(event, n)) {
      if (event->fd >= 0) {
        Answer(event->fd, event->pid);
        close(event->fd);
      }
    }
  }
}

void ImageGuard::Answer(int event_fd, pid_t tid) {
  fanotify_response response{event_fd, FAN_ALLOW};
  if (!IsBelow(tid, keeper_) && !IsReadOnly(OpenerFlags(tid))) {
    response.response = DenyWithErrno(ETXTBSY);
    LOG(WARNING) << "Refused " << CommandOf(tid) << " (" << tid
                 << ") write access to " << image_path_
                 << ": ext4fh serves it";
  }
  if (write(fanotify_.get(), &response, sizeof(response)) < 0 &&
      response.response != FAN_ALLOW) {
    // A kernel older than FAN_DENY_ERRNO: a plain denial (EPERM).
    response.response = FAN_DENY;
    (void)!write(fanotify_.get(), &response, sizeof(response));
  }
}

}  // namespace ext4fh
