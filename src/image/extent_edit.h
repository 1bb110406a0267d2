#pragma once

// Changing the extent tree of a file: freeing a range, allocating unwritten
// blocks for the holes of a range, splitting an extent, and moving extents
// (collapse/insert range). All through libext2fs's extent API, because its
// higher-level helpers misbehave here (e2fsprogs 1.47.0):
//   - ext2fs_punch() refuses to free an extent that ends at the
//     filesystem's last block (punch_extent_blocks checks
//     `start + count >= blocks_count`, one too strict), so a file that got
//     that block could never be truncated or deleted;
//   - ext2fs_fallocate() can allocate far more than the range it is given
//     when the range borders existing extents, and leaves half-made
//     changes when it runs out of space.

#include <ext2fs/ext2fs.h>

#include <cstdint>

#include "util/status.h"

namespace ext4fh {

// Frees logical blocks [first, last] (inclusive; last may be ~0) of
// extent-mapped inode `ino`, updating `inode` (extent root, i_blocks) and
// writing it. REQUIRES: the inode has EXT4_EXTENTS_FL.
Status PunchExtents(ext2_filsys fs, ext2_ino_t ino, ext2_inode_large& inode,
                    uint64_t first, uint64_t last);

// Maps every hole in logical blocks [first, end) to newly allocated,
// unwritten blocks (they read as zeros). Stops with ENOSPC when blocks run
// out; what it mapped until then stays mapped and counted.
Status AllocateUnwrittenExtents(ext2_filsys fs, ext2_ino_t ino,
                                ext2_inode_large& inode, uint64_t first,
                                uint64_t end);

// Makes `lblk` the first block of an extent, splitting the extent that
// covers it (if any).
Status SplitExtentAt(ext2_filsys fs, ext2_ino_t ino, ext2_inode_large& inode,
                     uint64_t lblk);

// Moves every extent that starts at or after `from` by `delta` blocks.
// REQUIRES: the move does not make extents overlap.
Status ShiftExtents(ext2_filsys fs, ext2_ino_t ino, ext2_inode_large& inode,
                    uint64_t from, int64_t delta);

}  // namespace ext4fh
