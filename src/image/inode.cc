#include "image/inode.h"

#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <cstddef>
#include <string>

#include "image/errcode.h"

namespace ext4fh {
namespace {

constexpr uint32_t kEpochMask = 3;

// Whether the large-inode field ending at byte `end` is present
// (the kernel's EXT4_FITS_IN_INODE).
bool FieldFits(const ext2_inode_large& inode, size_t end) {
  return end <= static_cast<size_t>(EXT2_GOOD_OLD_INODE_SIZE) + inode.i_extra_isize;
}

timespec DecodeTime(const ext2_inode_large& inode, uint32_t base,
                    const uint32_t& extra) {
  timespec ts{};
  ts.tv_sec = static_cast<int32_t>(base);
  size_t end = reinterpret_cast<const char*>(&extra) -
               reinterpret_cast<const char*>(&inode) + sizeof(extra);
  if (!FieldFits(inode, end)) {
    return ts;
  }
  ts.tv_sec += static_cast<int64_t>(extra & kEpochMask) << 32;
  ts.tv_nsec = extra >> 2;
  return ts;
}

dev_t DecodeDevice(const ext2_inode_large& inode) {
  uint32_t old_dev = inode.i_block[0];
  if (old_dev != 0) {
    return makedev((old_dev >> 8) & 0xff, old_dev & 0xff);
  }
  uint32_t dev = inode.i_block[1];
  return makedev((dev & 0xfff00) >> 8, (dev & 0xff) | ((dev >> 12) & 0xfff00));
}

}  // namespace

Result<ext2_inode_large> ReadInode(ext2_filsys fs, ext2_ino_t ino) {
  ext2_inode_large inode{};
  errcode_t code = ext2fs_read_inode_full(
      fs, ino, reinterpret_cast<ext2_inode*>(&inode), sizeof(inode));
  if (code != 0) {
    return StatusFromErrcode(code, "cannot read inode " + std::to_string(ino));
  }
  if (EXT2_INODE_SIZE(fs->super) <= EXT2_GOOD_OLD_INODE_SIZE) {
    inode.i_extra_isize = 0;
  }
  return inode;
}

uint64_t InodeSize(ext2_filsys fs, const ext2_inode_large& inode) {
  if (LINUX_S_ISREG(inode.i_mode) || ext2fs_has_feature_largedir(fs->super)) {
    return inode.i_size | (static_cast<uint64_t>(inode.i_size_high) << 32);
  }
  return inode.i_size;
}

Attr DecodeAttr(ext2_filsys fs, ext2_ino_t ino, const ext2_inode_large& inode) {
  Attr a;
  a.ino = ino;
  a.generation = inode.i_generation;
  a.mode = inode.i_mode;
  a.nlink = inode.i_links_count;
  a.uid = inode_uid(inode);
  a.gid = inode_gid(inode);
  if (S_ISCHR(a.mode) || S_ISBLK(a.mode)) {
    a.rdev = DecodeDevice(inode);
  }
  a.size = InodeSize(fs, inode);
  a.blocks = ext2fs_get_stat_i_blocks(
      fs, reinterpret_cast<ext2_inode*>(const_cast<ext2_inode_large*>(&inode)));
  if (S_ISREG(a.mode) && HasInlineData(inode)) {
    // ext4_file_getattr reports at least the sectors the inline data
    // covers, so tools do not take the file for a hole.
    a.blocks += (a.size + 511) >> 9;
  }
  a.blksize = fs->blocksize;
  a.atime = DecodeTime(inode, inode.i_atime, inode.i_atime_extra);
  a.mtime = DecodeTime(inode, inode.i_mtime, inode.i_mtime_extra);
  a.ctime = DecodeTime(inode, inode.i_ctime, inode.i_ctime_extra);
  return a;
}

bool HasInlineData(const ext2_inode_large& inode) {
  return (inode.i_flags & EXT4_INLINE_DATA_FL) != 0;
}

bool HasExtents(const ext2_inode_large& inode) {
  return (inode.i_flags & EXT4_EXTENTS_FL) != 0;
}

}  // namespace ext4fh
