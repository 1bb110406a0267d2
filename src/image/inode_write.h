#pragma once

// Building and writing inodes: timestamps, new inodes, generations.

#include <ext2fs/ext2fs.h>
#include <sys/types.h>
#include <time.h>

#include <cstdint>

#include "util/status.h"

namespace ext4fh {

// The current time, as the kernel would stamp it (nanoseconds).
timespec Now();

// Which timestamps to set.
enum TimeField : unsigned {
  kAtime = 1,
  kMtime = 2,
  kCtime = 4,
  kCrtime = 8,
};

// Encodes `ts` into the given fields of `inode`, with the extra (epoch and
// nanosecond) words where the inode has room for them, as ext4 does.
void SetTimes(ext2_inode_large& inode, unsigned fields, const timespec& ts);

// Writes `inode` (the base and large fields; in-inode xattrs are kept).
Status WriteInode(ext2_filsys fs, ext2_ino_t ino, ext2_inode_large& inode);

// What a new inode starts with.
struct NewInodeSpec {
  mode_t mode = 0;  // type and permission bits
  uid_t uid = 0;
  gid_t gid = 0;
  uint32_t flags = 0;  // i_flags (inherited and format flags)
  timespec now{};
};

// A free inode number for a new inode of `mode` in directory `dir`, and a
// generation that differs from the one that number had before (DESIGN
// section 2). Does not allocate it yet.
struct InodeSlot {
  ext2_ino_t ino = 0;
  uint32_t generation = 0;
};
Result<InodeSlot> FindFreeInode(ext2_filsys fs, ext2_ino_t dir, mode_t mode);

// The in-memory inode for `spec` in `slot`: no links yet, times now,
// extra fields sized as the superblock wants.
ext2_inode_large MakeInode(ext2_filsys fs, const InodeSlot& slot,
                           const NewInodeSpec& spec);

// Writes new inode `inode` to `slot.ino` over whatever was there (the
// whole on-disk inode, in-inode xattr space included, is rewritten) and
// marks it allocated.
Status WriteNewInode(ext2_filsys fs, ext2_ino_t ino, ext2_inode_large& inode);

// Maps logical block 0 of an inode with no blocks to `blk` and counts it
// in i_blocks: a fresh extent root where the filesystem has extents, else
// i_block[0]. The caller writes the inode and accounts the block.
Status MapBlockZero(ext2_filsys fs, ext2_ino_t ino, ext2_inode_large& inode,
                    blk64_t blk);

}  // namespace ext4fh
