#pragma once

// Freeing a range of logical blocks of a block-mapped (ext2/ext3-style,
// indirect) file.
//
// libext2fs 1.47.0's ext2fs_punch() gets this wrong whenever the range does
// not run to the end of the file (ext2fs_punch_ind / ind_punch):
//   - a range that starts in one level of the tree (direct blocks, single,
//     double indirect) and ends in the next stops at the level's end (it
//     compares the remaining count with the level's size, not with what is
//     left of it);
//   - a range under any but the first pointer of an indirect block frees
//     everything from its start to the end of that pointer's subtree (the
//     count passed down is `count - offset`, which wraps around).
// Both lose data (punch hole on ext3 freed up to 1024 blocks too many), so
// ext4fh walks the tree itself.

#include <ext2fs/ext2fs.h>

#include <cstdint>

#include "util/status.h"

namespace ext4fh {

// Frees logical blocks [first, last] (inclusive; last may be ~0) of
// block-mapped inode `ino`, and the indirect blocks left empty, updating
// i_block and i_blocks in `inode` and writing it.
// REQUIRES: the inode maps its blocks through i_block (no extents, no
// inline data).
Status PunchIndirect(ext2_filsys fs,
                     ext2_ino_t ino,
                     ext2_inode_large& inode,
                     uint64_t first,
                     uint64_t last);

}  // namespace ext4fh
