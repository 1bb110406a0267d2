#pragma once

// Changing file contents: writes, size changes, fallocate modes, and
// SEEK_DATA/SEEK_HOLE. Callers hold the image lock, set timestamps, write
// the inode and commit. Each function keeps `inode` equal to what is on
// disk when it returns.
//
// Inline files (EXT4_INLINE_DATA_FL) follow the kernel's rules, described
// in inline_file.h: small writes and truncates stay inline, larger ones and
// every fallocate mode first move the data to block 0.

#include <ext2fs/ext2fs.h>

#include <cstdint>
#include <span>

#include "util/status.h"

namespace ext4fh {

// The largest file size ext4 allows for this inode: ext4_max_size for
// extent-mapped files (and inline ones where the filesystem has extents),
// ext4_max_bitmap_size for block-mapped ones.
uint64_t MaxFileSize(ext2_filsys fs, const ext2_inode_large& inode);

// Writes `data` at `offset`, allocating as needed. Returns the bytes
// written; EFBIG past the maximum size, ENOSPC when out of space.
Result<size_t> WriteFileData(ext2_filsys fs, ext2_ino_t ino,
                             ext2_inode_large& inode, uint64_t offset,
                             std::span<const char> data);

// Frees logical blocks [first, last] (last may be ~0): extent-mapped files
// through extent_edit.h, block-mapped ones through indirect_punch.h. Inline files
// have no blocks: with first == 0 they lose their data and their size
// becomes 0 (the inode is being freed), else nothing changes.
Status FreeBlocks(ext2_filsys fs, ext2_ino_t ino, ext2_inode_large& inode,
                  uint64_t first, uint64_t last);

// Truncates or extends to `size` (a partial last block is zeroed past it).
Status SetFileSize(ext2_filsys fs, ext2_ino_t ino, ext2_inode_large& inode,
                   uint64_t size);

// FALLOC_FL_PUNCH_HOLE: frees whole blocks in [offset, offset+len) and
// zeroes the covered parts of partial ones. The size does not change.
Status PunchRange(ext2_filsys fs, ext2_ino_t ino, ext2_inode_large& inode,
                  uint64_t offset, uint64_t len);

// fallocate mode 0 and KEEP_SIZE: allocates unwritten blocks for every
// hole in the range; extends the size unless `keep_size`.
Status AllocateRange(ext2_filsys fs, ext2_ino_t ino, ext2_inode_large& inode,
                     uint64_t offset, uint64_t len, bool keep_size);

// FALLOC_FL_ZERO_RANGE: whole blocks become unwritten (they read as zeros),
// partial blocks are zeroed; extends the size unless `keep_size`.
Status ZeroRange(ext2_filsys fs, ext2_ino_t ino, ext2_inode_large& inode,
                 uint64_t offset, uint64_t len, bool keep_size);

// FALLOC_FL_COLLAPSE_RANGE and FALLOC_FL_INSERT_RANGE on extent-mapped
// files, with ext4's rules: block-aligned offset and length (EINVAL),
// collapse ending before EOF (EINVAL), insert starting before EOF (EINVAL)
// and staying under the maximum size (EFBIG).
Status CollapseRange(ext2_filsys fs, ext2_ino_t ino, ext2_inode_large& inode,
                     uint64_t offset, uint64_t len);
Status InsertRange(ext2_filsys fs, ext2_ino_t ino, ext2_inode_large& inode,
                   uint64_t offset, uint64_t len);

// lseek(SEEK_DATA) when `data`, else SEEK_HOLE, from `offset`. Unwritten
// extents count as holes, as ext4 reports them. ENXIO at or past EOF, or
// for SEEK_DATA when no data follows.
Result<uint64_t> SeekDataOrHole(ext2_filsys fs, ext2_ino_t ino,
                                ext2_inode_large& inode, uint64_t offset,
                                bool data);

}  // namespace ext4fh
