#pragma once

// Parsing of ext2/3/4 directory entry records, in a block or in the inline
// area of an inode. Pure: works on bytes already read.

#include <cstdint>
#include <functional>
#include <span>
#include <string_view>

#include "util/status.h"

namespace ext4fh {

struct RawDirent {
  uint32_t ino = 0;
  uint32_t offset = 0;    // of the record within the region
  uint32_t rec_len = 0;
  uint8_t file_type = 0;  // EXT2_FT_*; 0 without the filetype feature
  std::string_view name;  // points into the region
};

// Called for each live record (inode != 0); returns false to stop.
using DirentVisitor = std::function<bool(const RawDirent&)>;

// Walks the records of `region` from its start, calling `visit` for live
// ones. `block_size` is the filesystem block size (it decides how rec_len is
// encoded for 64 KiB blocks). Fails with EUCLEAN when a record is malformed:
// a rec_len below 12 or not a multiple of 4, a record running past the
// region, or a name longer than its record. A structurally valid region is
// always walked to its end unless `visit` stops it.
Status WalkDirents(std::span<const char> region, uint32_t block_size,
                   bool has_filetype, const DirentVisitor& visit);

// The DT_* value for an EXT2_FT_* file type (DT_UNKNOWN when unknown).
uint8_t DirentTypeToDt(uint8_t file_type);

}  // namespace ext4fh
