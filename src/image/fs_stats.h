#pragma once

// statfs(2) numbers computed as the kernel's ext4_statfs does.

#include <ext2fs/ext2fs.h>

#include "image/types.h"
#include "util/status.h"

namespace ext4fh {

// Blocks holding filesystem structures (ext4_calculate_overhead): blocks
// before s_first_data_block, superblock and descriptor copies, bitmaps,
// inode tables and the internal journal; or s_overhead_clusters when the
// superblock records it. Constant for a filesystem of a given size.
Result<uint64_t> ComputeOverheadBlocks(ext2_filsys fs);

// The statfs numbers. Free counts are summed from the group descriptors as
// the kernel's counters are; available blocks leave out both the reserved
// blocks and the kernel's own reserve (2% or 4096 clusters, extents only).
FsStats ComputeFsStats(ext2_filsys fs, uint64_t overhead_blocks);

}  // namespace ext4fh
