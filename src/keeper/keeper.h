#pragma once

// The keeper process: `ext4fh IMAGE MOUNTPOINT` (DESIGN section 4).

#include "keeper/config.h"

namespace ext4fh {

// Checks the mountpoint and the image, takes the image lock, runs the fsck
// hooks if the image was not left clean, goes to the background (unless
// config.foreground), mounts, records the kernel's INIT
// request, and supervises server processes until the filesystem is
// unmounted. Bad input is refused before anything is mounted or written.
// Returns an ExitCode.
int RunKeeper(KeeperConfig config);

}  // namespace ext4fh
