#pragma once

// Reading inodes and decoding them into stat values.

#include <ext2fs/ext2fs.h>

#include "image/types.h"
#include "util/status.h"

namespace ext4fh {

// Reads the whole on-disk inode `ino` (including the large-inode fields).
Result<ext2_inode_large> ReadInode(ext2_filsys fs, ext2_ino_t ino);

// Decodes `inode` the way the kernel's ext4_iget does: 32-bit ids,
// nanosecond timestamps with the epoch bits, huge_file block counts, both
// device number encodings, and i_size_high only where the kernel honours it.
Attr DecodeAttr(ext2_filsys fs, ext2_ino_t ino, const ext2_inode_large& inode);

// The file size as the kernel computes it (see DecodeAttr).
uint64_t InodeSize(ext2_filsys fs, const ext2_inode_large& inode);

// Whether the inode keeps its data inline (EXT4_INLINE_DATA_FL).
bool HasInlineData(const ext2_inode_large& inode);

// Whether the inode maps its blocks with extents (EXT4_EXTENTS_FL).
bool HasExtents(const ext2_inode_large& inode);

}  // namespace ext4fh
