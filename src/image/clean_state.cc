#include "image/clean_state.h"

#include "image/filesystem.h"

namespace ext4fh {

const char* CleanStateName(CleanState state) {
  switch (state) {
    case CleanState::kClean:
      return "clean";
    case CleanState::kNotClean:
      return "not-clean";
    case CleanState::kErrors:
      return "errors";
    case CleanState::kNeedsRecovery:
      return "needs-recovery";
  }
  return "unknown";
}

Result<CleanState> ReadCleanState(const OpenOptions& options) {
  ASSIGN_OR_RETURN(ext2_super_block sb, Filesystem::ReadSuperblock(options));
  if (ext2fs_has_feature_journal_needs_recovery(&sb)) {
    return CleanState::kNeedsRecovery;
  }
  if (sb.s_state & EXT2_ERROR_FS) {
    return CleanState::kErrors;
  }
  if (!(sb.s_state & EXT2_VALID_FS)) {
    return CleanState::kNotClean;
  }
  return CleanState::kClean;
}

}  // namespace ext4fh
