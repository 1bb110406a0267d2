#pragma once

// Writing a request's metadata changes to the image before its reply.
//
// With the libext2fs I/O cache off, inodes, directory blocks and extent
// blocks reach the image file as libext2fs writes them. What libext2fs
// keeps in memory until ext2fs_flush() is the allocation state: bitmaps,
// group descriptors and superblock counters. ext2fs_flush() rewrites all of
// it, for every group. MetadataCommit instead notes which groups each
// request touched (block allocations through libext2fs's allocation
// callbacks, inode allocations by the caller) and writes only their bitmap
// blocks, their descriptor blocks and the superblock, with checksums.
//
// So after every reply the image is consistent, and a server killed at any
// point leaves at most the one request it was running half done: the kernel
// resends that request, and e2fsck repairs what it left.

#include <ext2fs/ext2fs.h>

#include <set>

#include "util/status.h"

namespace ext4fh {

class MetadataCommit {
 public:
  // Hooks the allocation callbacks of `fs` (read-write). `fs` must outlive
  // this object; the destructor unhooks them.
  explicit MetadataCommit(ext2_filsys fs);
  MetadataCommit(const MetadataCommit&) = delete;
  MetadataCommit& operator=(const MetadataCommit&) = delete;
  ~MetadataCommit();

  // Notes that inode `ino` was allocated or freed.
  void InodeChanged(ext2_ino_t ino);
  // Notes that block `blk` was allocated or freed.
  void BlockChanged(blk64_t blk);
  // Notes a superblock change (state, orphan list, features).
  void SuperChanged() { super_dirty_ = true; }

  // Writes the dirty bitmaps, group descriptors and the superblock.
  Status Commit();

 private:
  Status WriteGroupBitmaps(dgrp_t group);
  Status WriteDescriptorBlock(unsigned index);
  Status WriteSuperblock();

  ext2_filsys fs_;
  std::set<dgrp_t> dirty_groups_;
  bool super_dirty_ = false;
  void (*old_block_cb_)(ext2_filsys, blk64_t, int) = nullptr;
  void (*old_range_cb_)(ext2_filsys, blk64_t, blk_t, int) = nullptr;
};

}  // namespace ext4fh
