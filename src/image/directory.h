#pragma once

// Reading directories: listing from a stable cookie, and finding a name.
//
// Cookies are positions, so they stay valid across server restarts and never
// depend on in-memory state:
//   - block directories: cookie = logical block * block size + offset of the
//     next record. A listing resumes by mapping that one block and skipping
//     records before the offset; records are never moved within a block, so
//     a resumed listing neither repeats nor skips surviving entries.
//   - inline directories: "." is position 0, ".." position 1, and the record
//     at offset o of the inline area (after the 4-byte parent) position 2+o.
// A cookie names the position just past the entry it was returned with.

#include <ext2fs/ext2fs.h>

#include <cstdint>
#include <functional>
#include <span>
#include <string_view>
#include <vector>

#include "image/types.h"
#include "util/status.h"

namespace ext4fh {

class Directory {
 public:
  // REQUIRES: `inode` is the directory inode `ino`, and outlives this.
  Directory(ext2_filsys fs, ext2_ino_t ino, const ext2_inode_large& inode);

  // Emits the entries at or after `cookie`, including "." and "..", in
  // on-disk order.
  Status List(uint64_t cookie, const DirEntrySink& sink);

  // The inode `name` links to; ENOENT if there is none. Uses the hash index
  // when the directory has one. REQUIRES: name is not "." or "..".
  Result<uint32_t> Find(std::string_view name);

  // The parent directory's inode number, from the ".." entry.
  Result<uint32_t> Parent();

 private:
  Result<bool> ReadBlock(uint32_t lblk, std::vector<char>* buf);
  uint32_t BlockCount() const;
  bool IsIndexed() const;
  Status ListBlocks(uint64_t cookie, const DirEntrySink& sink);
  Status ListInline(uint64_t cookie, const DirEntrySink& sink);
  Result<std::vector<char>> ReadInline();
  Result<uint32_t> FindLinear(std::string_view name);
  Result<uint32_t> FindIndexed(std::string_view name);
  Result<uint32_t> FindInline(std::string_view name);
  // Searches one region of records; 0 when absent.
  Result<uint32_t> SearchRegion(std::span<const char> region,
                                std::string_view name);

  ext2_filsys fs_;
  ext2_ino_t ino_;
  ext2_inode_large inode_;
  bool has_filetype_;
};

}  // namespace ext4fh
