#pragma once

// Which on-disk features ext4fh can serve, and how.
//
// An image is refused outright when it has an incompat feature we cannot
// read correctly (encrypt, casefold, compression, dirdata, a journal device,
// anything unknown) or the verity ro_compat feature. It is served read-only
// when it has a ro_compat feature we cannot keep consistent while writing
// (quota, project, bigalloc, replica, readonly, shared_blocks, snapshots,
// anything unknown).

#include <ext2fs/ext2fs.h>

#include <string>

namespace ext4fh {

struct FeatureVerdict {
  bool can_read = true;
  bool can_write = true;
  // Names of the features that forbid reading or writing, for messages.
  std::string blocking_read;
  std::string blocking_write;
};

// Classifies the features of superblock `sb`.
FeatureVerdict CheckFeatures(const ext2_super_block& sb);

}  // namespace ext4fh
