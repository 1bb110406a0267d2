#pragma once

// Regular files that keep their data in the inode (EXT4_INLINE_DATA_FL):
// the first 60 bytes in i_block, the rest in the in-inode xattr
// "system.data".
//
// libext2fs 1.47.0 cannot be trusted with them: ext2fs_file_write computes
// `nbytes - pos` for the length of a write at `pos` (fixed upstream in
// 2025), which overflows and crashes for any write past the start;
// ext2fs_file_set_size2 drops system.data but keeps the flag (e2fsck:
// "inline data flag set but no system.data"); ext2fs_inline_data_expand
// writes the whole inline area, so a 14-byte file becomes 60 bytes long. So
// ext4fh edits these files itself, as the kernel does (fs/ext4/inline.c,
// checked against Linux 6.18 on a loop mount):
//   - a write that ends within what the inode can hold stays inline, and
//     system.data grows to cover it (ext4_try_to_write_inline_data);
//   - a file created empty gets its first write inline when it fits
//     (ext4_new_inode sets EXT4_STATE_MAY_INLINE_DATA). The kernel keeps
//     that state only in memory, for inodes created since the mount; ext4fh
//     has no such memory and applies it to every empty file without blocks;
//   - a truncate down stays inline and shrinks system.data to the new size
//     (ext4_inline_data_truncate); a truncate up stays inline only within
//     the bytes the inode already holds (60, or more when system.data is
//     larger);
//   - everything else (a write or truncate past that, and every fallocate
//     mode) first converts the file: block 0 is allocated and gets the
//     inline bytes, even when the file is empty, and the file becomes
//     extent-mapped (ext4_convert_inline_data).
// In every state the system.data value is exactly the part of the data
// past the first 60 bytes (empty for short files), as the kernel leaves it.

#include <ext2fs/ext2fs.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "util/status.h"

namespace ext4fh {

// The file's bytes [0, i_size) of inline inode `ino`: what is stored, then
// zeros. REQUIRES: the inode has EXT4_INLINE_DATA_FL and `inode` is what is
// on disk.
Result<std::string> ReadInlineContent(ext2_filsys fs,
                                      ext2_ino_t ino,
                                      ext2_inode_large& inode);

// The bytes inline inode `ino` holds now: 60 (i_block) plus the length of
// its system.data value.
Result<uint64_t> StoredInlineSize(ext2_filsys fs, ext2_ino_t ino);

// The largest file inode `ino` can keep inline now: 60 bytes in i_block
// plus the room its other in-inode xattrs leave for system.data (128 with
// 256-byte inodes and no other xattr), computed as libext2fs places
// system.data (ext2fs_xattr_set), which matches the kernel's
// ext4_get_max_inline_size. 0 when the inode has no xattr space.
Result<uint64_t> MaxInlineSize(ext2_filsys fs, ext2_ino_t ino);

// Whether a write to regular file `inode` may store its data inline
// although it is not inline yet: the filesystem has inline_data, the inode
// has room for xattrs, and the file is empty with no blocks.
bool MayBecomeInline(ext2_filsys fs, const ext2_inode_large& inode);

// Makes `content` the whole data of regular file `ino`, kept inline, and
// its length the file size; sets EXT4_INLINE_DATA_FL (dropping an empty
// extent root). REQUIRES: the inode is inline or MayBecomeInline. Returns
// false, having changed nothing, when the inode has no room for it.
// Updates `inode` to what is on disk.
Result<bool> StoreInline(ext2_filsys fs,
                         ext2_ino_t ino,
                         ext2_inode_large& inode,
                         std::string_view content);

// Writes `data` at `offset` of regular file `ino` if the result stays
// inline (see the top of this file). Returns the bytes written, or nullopt
// (nothing changed) when the file is not, or cannot stay, inline.
Result<std::optional<size_t>> WriteInline(ext2_filsys fs,
                                          ext2_ino_t ino,
                                          ext2_inode_large& inode,
                                          uint64_t offset,
                                          std::span<const char> data);

// Truncates or extends inline file `ino` to `size` if it stays inline.
// Returns false (nothing changed) when `size` is past the bytes the inode
// holds, and the file must be converted first.
Result<bool> ResizeInline(ext2_filsys fs,
                          ext2_ino_t ino,
                          ext2_inode_large& inode,
                          uint64_t size);

// Moves the data of inline file `ino` into a newly allocated block 0, which
// the file then maps (extents where the filesystem has them, else i_block),
// and drops the inline data. The size does not change. ENOSPC, with nothing
// changed, when no block is free. Does nothing for a file that is not
// inline.
Status ConvertInlineToBlocks(ext2_filsys fs,
                             ext2_ino_t ino,
                             ext2_inode_large& inode);

}  // namespace ext4fh
