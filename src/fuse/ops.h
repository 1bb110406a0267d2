#pragma once

// The libfuse lowlevel op table. Every op reaches its state through
// fuse_req_userdata(), which must be a Server (server.h).

#define FUSE_USE_VERSION 35
#include <fuse_lowlevel.h>

namespace ext4fh {

// The op table for a server. `read_only` leaves out nothing: on a read-only
// image the modifying ops answer EROFS.
fuse_lowlevel_ops MakeOps();

}  // namespace ext4fh
