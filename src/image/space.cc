#include "image/space.h"

#include <algorithm>

namespace ext4fh {
namespace {

// Without extents there is no kernel reserve, but a block-mapped file's
// indirect blocks are allocated by libext2fs after the data check: keep a
// few free for them, so a write that fits its data does not fail halfway.
constexpr uint64_t kIndirectMargin = 8;

}  // namespace

uint64_t KernelReserveBlocks(ext2_filsys fs) {
  if (!ext2fs_has_feature_extents(fs->super)) {
    return 0;
  }
  uint64_t clusters = ext2fs_blocks_count(fs->super) >> fs->cluster_ratio_bits;
  return std::min<uint64_t>(clusters / 50, 4096) << fs->cluster_ratio_bits;
}

bool MayUseReserved(ext2_filsys fs, const Credentials& cred) {
  return cred.uid == 0 || cred.uid == fs->super->s_def_resuid ||
         (fs->super->s_def_resgid != 0 && cred.InGroup(fs->super->s_def_resgid));
}

uint64_t AvailableBlocks(ext2_filsys fs, const Credentials& cred) {
  uint64_t free = ext2fs_free_blocks_count(fs->super);
  uint64_t reserve = ext2fs_has_feature_extents(fs->super)
                         ? KernelReserveBlocks(fs)
                         : kIndirectMargin;
  if (!MayUseReserved(fs, cred)) {
    reserve += ext2fs_r_blocks_count(fs->super);
  }
  return free > reserve ? free - reserve : 0;
}

uint64_t AvailableBlocksForRoot(ext2_filsys fs) {
  return AvailableBlocks(fs, Credentials{});
}

}  // namespace ext4fh
