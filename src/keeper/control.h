#pragma once

// `ext4fh ctl`: a keeper listens on an abstract unix socket named after
// its mountpoint. A client connects, writes one verb ("status" or
// "restart") and a newline, and reads the answer until the keeper closes
// the connection: `key: value` lines, or lines that start with "error: ".
// Only root and the keeper's own user may ask (SO_PEERCRED).
//
// Abstract sockets belong to a network namespace: ctl must run in the
// keeper's.

#include <optional>
#include <string>

#include "util/scoped_fd.h"
#include "util/status.h"

namespace ext4fh {

// One question from a client; the answer goes back on `conn`.
struct ControlRequest {
  ScopedFd conn;
  std::string verb;
};

class ControlServer {
 public:
  // Listens for the keeper of `mountpoint` (absolute, canonical).
  static Result<ControlServer> Listen(const std::string& mountpoint);

  int fd() const { return listen_.get(); }
  // Accepts one waiting client and reads its verb. Returns nothing when the
  // client went away, sent garbage or may not ask (it has been answered).
  std::optional<ControlRequest> Accept();

 private:
  explicit ControlServer(ScopedFd fd) : listen_(std::move(fd)) {}
  ScopedFd listen_;
};

// Writes `answer` to the client and closes the connection.
void Respond(ControlRequest& request, const std::string& answer);

// The mountpoint as the keeper named it: the canonical form of its
// directory plus its own name, found without touching the mounted
// filesystem (whose server may be down).
std::string CanonicalMountpoint(const std::string& path);

// Asks the keeper of `mountpoint` `verb` and returns its answer. ENOENT:
// no keeper serves it.
Result<std::string> AskKeeper(const std::string& mountpoint,
                              const std::string& verb);

}  // namespace ext4fh
