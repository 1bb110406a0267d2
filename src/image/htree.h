#pragma once

// Lookups in hash-indexed (htree) directories, as the kernel's dx_probe and
// ext4_htree_next_block do: hash the name with the directory's hash version
// and the superblock seed, walk the index to the one leaf block that can
// hold it, and continue to the next leaf only while the index says the hash
// continues there (collisions).

#include <ext2fs/ext2fs.h>

#include <cstdint>
#include <functional>
#include <string_view>
#include <vector>

#include "util/status.h"

namespace ext4fh {

// Reads logical block `lblk` of the directory into `buf` (resized to the
// block size). Returns false for a hole.
using DirBlockReader =
    std::function<Result<bool>(uint32_t lblk, std::vector<char>* buf)>;

// Searches one leaf block (already read) for the name; returns true to stop.
using LeafSearch = std::function<Result<bool>(const std::vector<char>& leaf)>;

// Walks the index of the directory whose blocks `read` returns, calling
// `search` on each leaf that may hold `name`, until it returns true or no
// leaf can hold the name. Fails with EUCLEAN when the index is malformed;
// callers then fall back to a linear scan, as the kernel does.
Status HtreeSearch(ext2_filsys fs, std::string_view name,
                   const DirBlockReader& read, const LeafSearch& search);

}  // namespace ext4fh
