#pragma once

// The server process: serves the image over a connection the keeper holds,
// until the filesystem is unmounted or the keeper asks it to stop.

#include "fuse/server.h"

namespace ext4fh {

// Exit statuses of a server process, read by the keeper.
enum ServerExit : int {
  kServerDone = 0,       // unmounted, or stopped on request; image flushed
  kServerFailed = 1,     // a fault; a restart may help
  kServerRefused = 3,    // the image cannot be served; do not retry
  kServerPanicked = 4,   // corruption under errors=panic; do not retry
};

// Runs a server over the kept /dev/fuse fd `fuse_fd` and the state memfd
// `state_fd` (both inherited from the keeper, not owned). A first server
// answers the recorded INIT; a later one resumes the connection: it primes
// libfuse, has the kernel resend what the dead server read, revalidates
// every inode the kernel holds, and bumps the dentry epoch. SIGTERM or
// SIGINT stop it between requests. Returns a ServerExit.
int RunServer(const ServerConfig& config, int fuse_fd, int state_fd);

}  // namespace ext4fh
