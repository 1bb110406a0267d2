#pragma once

// Whether an image was left clean, read from its superblock alone. The
// keeper asks before a first mount and after a crash, to tell the fsck
// hooks what they are looking at.

#include "image/types.h"
#include "util/status.h"

namespace ext4fh {

enum class CleanState {
  kClean,          // unmounted cleanly, no errors recorded
  kNotClean,       // EXT2_VALID_FS clear: in use, or its user died
  kErrors,         // EXT2_ERROR_FS: corruption was detected
  kNeedsRecovery,  // the journal holds transactions to replay
};

// "clean", "not-clean", "errors", "needs-recovery" (the fsck hooks'
// EXT4FH_IMAGE_STATE).
const char* CleanStateName(CleanState state);

// Reads the state of the filesystem at `options.offset` of `options.path`.
// The most severe condition wins: needs-recovery, then errors, then
// not-clean.
Result<CleanState> ReadCleanState(const OpenOptions& options);

}  // namespace ext4fh
