#pragma once

// Reading file contents: extent-mapped, block-mapped and inline files, and
// symlink targets. Holes and unwritten (preallocated) extents read as zeros.
// Contiguous runs of blocks are read with one I/O each.

#include <ext2fs/ext2fs.h>

#include <cstdint>
#include <span>
#include <string>

#include "util/status.h"

namespace ext4fh {

// A run of logical blocks that map the same way.
struct BlockRun {
  uint64_t lblk = 0;
  uint64_t count = 0;
  uint64_t pblk = 0;  // 0 for a hole
  bool unwritten = false;
  bool is_data() const { return pblk != 0 && !unwritten; }
};

// Maps logical block `lblk` of the file and the blocks after it that map
// contiguously the same way, up to `max_count` blocks.
Result<BlockRun> MapBlocks(ext2_filsys fs, ext2_ino_t ino,
                           ext2_inode_large& inode, uint64_t lblk,
                           uint64_t max_count);

// Reads up to out.size() bytes at `offset`, clipped to the file size.
// Returns the number of bytes read (0 at or past the end).
Result<size_t> ReadFileData(ext2_filsys fs, ext2_ino_t ino,
                            ext2_inode_large& inode, uint64_t offset,
                            std::span<char> out);

// The target of symlink `ino`: fast (in i_block), inline or in a block.
Result<std::string> ReadSymlinkTarget(ext2_filsys fs, ext2_ino_t ino,
                                      ext2_inode_large& inode);

}  // namespace ext4fh
