#pragma once

// Changing directory contents: adding and removing entries, repointing
// "..", and checking emptiness. Callers hold the image lock and commit.

#include <ext2fs/ext2fs.h>
#include <sys/types.h>
#include <time.h>

#include <span>
#include <string>
#include <string_view>

#include "util/status.h"

namespace ext4fh {

// The EXT2_FT_* directory entry type for `mode`.
uint8_t FileTypeOf(mode_t mode);

// Links `name` to `ino` (of `mode`) in directory `dir`, growing the
// directory when it is full and `budget` (blocks the caller may allocate,
// space.h) allows; ENOSPC otherwise. The directory inode on disk may change
// (size, blocks); re-read it afterwards.
Status AddEntry(ext2_filsys fs, ext2_ino_t dir, std::string_view name,
                ext2_ino_t ino, mode_t mode, uint64_t budget);

// Removes the entry `name` from `dir`.
Status RemoveEntry(ext2_filsys fs, ext2_ino_t dir, std::string_view name);

// One entry for SetEntries: `name` is to lead to `ino`, of `mode`.
struct EntryTarget {
  std::string_view name;
  ext2_ino_t ino;
  mode_t mode;
};

// Rewrites the entries of `targets` in `dir` in place (inode number and
// file type, like the kernel's ext4_setent), in one pass: entries in one
// block reach the image in one block write. ENOENT when a name is missing
// (the others are still rewritten).
Status SetEntries(ext2_filsys fs, ext2_ino_t dir,
                  std::span<const EntryTarget> targets);

// Points the ".." entry of directory `dir` at `parent`.
Status SetDotDot(ext2_filsys fs, ext2_ino_t dir, ext2_ino_t parent);

// Whether directory `dir` holds nothing but "." and "..".
Result<bool> IsEmptyDir(ext2_filsys fs, ext2_ino_t dir,
                        const ext2_inode_large& inode);

// Sets the mtime and ctime of directory `dir` to `now` and adds `link_delta`
// to its link count, as ext4 does on entry changes (re-reads the inode).
// Link counts of directories with more than EXT4_LINK_MAX subdirectories
// stay at 1 (dir_nlink).
Status TouchDir(ext2_filsys fs, ext2_ino_t dir, const timespec& now,
                int link_delta = 0);

// The link count of a directory that gains (`delta` > 0) or loses a
// subdirectory, by the rules of TouchDir.
uint32_t DirLinksAfter(uint32_t links, int delta);

// The largest link count ext4 allows (EXT4_LINK_MAX).
inline constexpr uint32_t kLinkMax = 65000;

}  // namespace ext4fh
