#include "keeper/control.h"

#include <limits.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

#include "util/log.h"

namespace ext4fh {
namespace {

constexpr char kNamePrefix[] = "ext4fh-ctl:";
constexpr size_t kMaxVerb = 64;

// FNV-1a: a stable hash for mountpoints too long for a socket name.
uint64_t Fnv1a(const std::string& s) {
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : s) {
    h = (h ^ c) * 1099511628211ULL;
  }
  return h;
}

// The abstract address of the keeper of `mountpoint`, and its length.
socklen_t ControlAddress(const std::string& mountpoint, sockaddr_un* addr) {
  std::memset(addr, 0, sizeof(*addr));
  addr->sun_family = AF_UNIX;
  std::string name = kNamePrefix + mountpoint;
  if (name.size() + 1 > sizeof(addr->sun_path)) {
    char hash[32];
    std::snprintf(hash, sizeof(hash), "#%016llx",
                  static_cast<unsigned long long>(Fnv1a(mountpoint)));
    name = std::string(kNamePrefix) + hash;
  }
  std::memcpy(addr->sun_path + 1, name.data(), name.size());
  return static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 +
                                name.size());
}

bool MayAsk(int conn) {
  ucred cred{};
  socklen_t len = sizeof(cred);
  if (getsockopt(conn, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) {
    return false;
  }
  return cred.uid == 0 || cred.uid == geteuid();
}

// Reads one line (without its newline) of at most kMaxVerb bytes.
std::optional<std::string> ReadLine(int conn) {
  std::string line;
  char c;
  while (line.size() <= kMaxVerb) {
    ssize_t n = read(conn, &c, 1);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return std::nullopt;
    }
    if (c == '\n') {
      return line;
    }
    line += c;
  }
  return std::nullopt;
}

void WriteAll(int fd, const std::string& text) {
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return;
    }
    done += static_cast<size_t>(n);
  }
}

}  // namespace

Result<ControlServer> ControlServer::Listen(const std::string& mountpoint) {
  ScopedFd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd.valid()) {
    return Status::Error(errno, "cannot create the control socket");
  }
  sockaddr_un addr;
  socklen_t len = ControlAddress(mountpoint, &addr);
  if (bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), len) != 0 ||
      listen(fd.get(), 16) != 0) {
    return Status::Error(errno, "cannot listen on the control socket of " +
                                    mountpoint);
  }
  return ControlServer(std::move(fd));
}

std::optional<ControlRequest> ControlServer::Accept() {
  ScopedFd conn(accept4(listen_.get(), nullptr, nullptr, SOCK_CLOEXEC));
  if (!conn.valid()) {
    return std::nullopt;
  }
  // A client that connects and says nothing must not stall the keeper.
  timeval timeout{1, 0};
  setsockopt(conn.get(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  ControlRequest request{std::move(conn), ""};
  if (!MayAsk(request.conn.get())) {
    Respond(request, "error: permission denied\n");
    return std::nullopt;
  }
  std::optional<std::string> verb = ReadLine(request.conn.get());
  if (!verb) {
    return std::nullopt;
  }
  request.verb = *verb;
  return request;
}

void Respond(ControlRequest& request, const std::string& answer) {
  WriteAll(request.conn.get(), answer);
  request.conn.reset();
}

std::string CanonicalMountpoint(const std::string& path) {
  char buf[PATH_MAX];
  std::string trimmed = path;
  while (trimmed.size() > 1 && trimmed.back() == '/') {
    trimmed.pop_back();
  }
  size_t slash = trimmed.rfind('/');
  std::string name =
      slash == std::string::npos ? trimmed : trimmed.substr(slash + 1);
  // readlink() does not ask the filesystem mounted there; stat would.
  bool plain = readlink(trimmed.c_str(), buf, sizeof(buf)) < 0 &&
               errno == EINVAL && name != "." && name != ".." &&
               !name.empty();
  if (!plain) {
    return realpath(path.c_str(), buf) != nullptr ? buf : path;
  }
  std::string dir = slash == std::string::npos ? "."
                    : slash == 0               ? "/"
                                               : trimmed.substr(0, slash);
  if (realpath(dir.c_str(), buf) == nullptr) {
    return path;
  }
  std::string parent = buf;
  return (parent == "/" ? "" : parent) + "/" + name;
}

Result<std::string> AskKeeper(const std::string& mountpoint,
                              const std::string& verb) {
  ScopedFd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) {
    return Status::Error(errno, "cannot create a socket");
  }
  sockaddr_un addr;
  socklen_t len = ControlAddress(mountpoint, &addr);
  if (connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), len) != 0) {
    return Status::Error(ENOENT, "no ext4fh keeper serves " + mountpoint);
  }
  WriteAll(fd.get(), verb + "\n");
  std::string answer;
  char buf[4096];
  ssize_t n;
  while ((n = read(fd.get(), buf, sizeof(buf))) != 0) {
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      return Status::Error(errno, "cannot read the keeper's answer");
    }
    answer.append(buf, static_cast<size_t>(n));
  }
  return answer;
}

}  // namespace ext4fh
