#pragma once

// Free blocks as ext4 hands them out (ext4_has_free_clusters): nobody's
// allocations may use the kernel's reserve (s_resv_clusters, kept for
// metadata such as extent tree blocks), and only privileged callers may
// use the root-reserved blocks (s_r_blocks_count). Data blocks, directory
// blocks and slow symlink blocks all go through this check, so a full
// filesystem refuses each of them exactly when the kernel's ext4 does.

#include <ext2fs/ext2fs.h>

#include <cstdint>

#include "image/access.h"

namespace ext4fh {

// The kernel's reserve in blocks (ext4_calculate_resv_clusters): 2% of the
// filesystem, at most 4096 clusters, and none without extents.
uint64_t KernelReserveBlocks(ext2_filsys fs);

// Whether `cred` may use the root-reserved blocks (ext4's resuid, resgid,
// or CAP_SYS_RESOURCE, which only root has here).
bool MayUseReserved(ext2_filsys fs, const Credentials& cred);

// Blocks `cred` may still allocate for data, directories and symlinks.
uint64_t AvailableBlocks(ext2_filsys fs, const Credentials& cred);

// AvailableBlocks for the privileged caller.
uint64_t AvailableBlocksForRoot(ext2_filsys fs);

}  // namespace ext4fh
