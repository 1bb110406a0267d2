#pragma once

// ext4's on-disk orphan list (DESIGN section 3): inodes whose link count
// reached zero while the kernel still held them. They live until the kernel
// forgets them (or the filesystem is unmounted), then they are freed.
//
// The list is the classic one: s_last_orphan in the superblock, chained
// through i_dtime. e2fsck and the kernel both process it at their next
// check or mount, so a crash never leaks an orphan's blocks.

#include <ext2fs/ext2fs.h>

#include <set>

#include "image/commit.h"
#include "util/status.h"

namespace ext4fh {

class OrphanList {
 public:
  // Reads the chain from the superblock of `fs`.
  void Load(ext2_filsys fs);

  bool Contains(ext2_ino_t ino) const { return members_.contains(ino); }
  const std::set<ext2_ino_t>& members() const { return members_; }

  // Puts `ino` (whose inode is `inode`, written by the caller afterwards)
  // at the head of the chain.
  void Add(ext2_filsys fs, MetadataCommit& commit, ext2_ino_t ino,
           ext2_inode_large& inode);
  // Takes `ino` out of the chain, fixing its predecessor on disk.
  Status Remove(ext2_filsys fs, MetadataCommit& commit, ext2_ino_t ino);

 private:
  std::set<ext2_ino_t> members_;
};

// Frees inode `ino`: its data blocks, its xattr block, and the inode
// itself (dtime set). REQUIRES: its link count is 0 and no entry names it.
Status FreeInode(ext2_filsys fs, MetadataCommit& commit, ext2_ino_t ino);

}  // namespace ext4fh
