#include "image/create.h"

#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <cstring>
#include <memory>
#include <vector>

#include "image/dir_edit.h"
#include "image/errcode.h"
#include "image/inode.h"
#include "image/orphans.h"

namespace ext4fh {
namespace {

// Fast symlinks keep the target in i_block (EXT4_N_BLOCKS * 4 bytes).
constexpr size_t kFastSymlinkMax = sizeof(uint32_t) * EXT2_N_BLOCKS;

void EncodeDevice(ext2_inode_large& inode, dev_t rdev) {
  unsigned major_no = major(rdev), minor_no = minor(rdev);
  if (major_no < 256 && minor_no < 256) {
    inode.i_block[0] = (major_no << 8) | minor_no;  // old_encode_dev
  } else {
    inode.i_block[1] =
        (minor_no & 0xff) | (major_no << 8) | ((minor_no & ~0xffu) << 12);
  }
}

// Gives an empty extent tree to `inode` (as libext2fs does for new files).
Status InitExtents(ext2_filsys fs, ext2_ino_t ino, ext2_inode_large& inode) {
  inode.i_flags &= ~EXT4_EXTENTS_FL;
  ext2_extent_handle_t handle = nullptr;
  RETURN_IF_EXT2_ERROR(
      ext2fs_extent_open2(fs, ino, reinterpret_cast<ext2_inode*>(&inode),
                          &handle),
      "cannot start extent tree");
  ext2fs_extent_free(handle);
  return OkStatus();
}

// Maps logical block 0 of new inode `ino` to `blk`, and counts it.
Status MapFirstBlock(ext2_filsys fs, ext2_ino_t ino, ext2_inode_large& inode,
                     blk64_t blk) {
  RETURN_IF_ERROR(MapBlockZero(fs, ino, inode, blk));
  ext2fs_block_alloc_stats2(fs, blk, +1);
  return OkStatus();
}

Result<blk64_t> NewBlock(ext2_filsys fs, ext2_ino_t ino,
                         ext2_inode_large& inode) {
  blk64_t goal =
      ext2fs_find_inode_goal(fs, ino, reinterpret_cast<ext2_inode*>(&inode), 0);
  blk64_t blk = 0;
  RETURN_IF_EXT2_ERROR(ext2fs_new_block2(fs, goal, nullptr, &blk),
                       "cannot allocate a block");
  return blk;
}

// A directory's first block with "." and "..", or its inline equivalent.
Status InitDirectory(ext2_filsys fs, ext2_ino_t ino, ext2_ino_t parent,
                     ext2_inode_large& inode) {
  if (ext2fs_has_feature_inline_data(fs->super)) {
    inode.i_flags |= EXT4_INLINE_DATA_FL;
    inode.i_size = EXT4_MIN_INLINE_DATA_SIZE;
    RETURN_IF_EXT2_ERROR(
        ext2fs_new_dir_inline_data(fs, ino, parent, inode.i_block),
        "cannot build inline directory");
    RETURN_IF_ERROR(WriteNewInode(fs, ino, inode));
    RETURN_IF_EXT2_ERROR(ext2fs_inline_data_init(fs, ino),
                         "cannot start inline directory");
    return OkStatus();
  }
  if (ext2fs_has_feature_extents(fs->super)) {
    RETURN_IF_ERROR(InitExtents(fs, ino, inode));
  }
  inode.i_size = fs->blocksize;
  RETURN_IF_ERROR(WriteNewInode(fs, ino, inode));
  ASSIGN_OR_RETURN(blk64_t blk, NewBlock(fs, ino, inode));
  char* raw = nullptr;
  RETURN_IF_EXT2_ERROR(ext2fs_new_dir_block(fs, ino, parent, &raw),
                       "cannot build directory block");
  std::unique_ptr<char, void (*)(void*)> block(raw, free);
  RETURN_IF_EXT2_ERROR(ext2fs_write_dir_block4(fs, blk, block.get(), 0, ino),
                       "cannot write directory block");
  RETURN_IF_ERROR(MapFirstBlock(fs, ino, inode, blk));
  return WriteInode(fs, ino, inode);
}

Status InitSymlink(ext2_filsys fs, ext2_ino_t ino, ext2_inode_large& inode,
                   std::string_view target) {
  inode.i_size = static_cast<uint32_t>(target.size());
  if (target.size() < kFastSymlinkMax) {
    std::memcpy(inode.i_block, target.data(), target.size());
    return WriteNewInode(fs, ino, inode);
  }
  if (ext2fs_has_feature_extents(fs->super)) {
    RETURN_IF_ERROR(InitExtents(fs, ino, inode));
  }
  RETURN_IF_ERROR(WriteNewInode(fs, ino, inode));
  ASSIGN_OR_RETURN(blk64_t blk, NewBlock(fs, ino, inode));
  std::vector<char> block(fs->blocksize, 0);
  std::memcpy(block.data(), target.data(), target.size());
  RETURN_IF_EXT2_ERROR(io_channel_write_blk64(fs->io, blk, 1, block.data()),
                       "cannot write symlink");
  RETURN_IF_ERROR(MapFirstBlock(fs, ino, inode, blk));
  return WriteInode(fs, ino, inode);
}

Status InitInode(ext2_filsys fs, ext2_ino_t ino, ext2_ino_t dir,
                 ext2_inode_large& inode, const CreateSpec& spec) {
  switch (spec.inode.mode & S_IFMT) {
    case S_IFDIR:
      return InitDirectory(fs, ino, dir, inode);
    case S_IFLNK:
      return InitSymlink(fs, ino, inode, spec.target);
    case S_IFCHR:
    case S_IFBLK:
      EncodeDevice(inode, spec.rdev);
      return WriteNewInode(fs, ino, inode);
    case S_IFREG:
      if (ext2fs_has_feature_extents(fs->super)) {
        RETURN_IF_ERROR(InitExtents(fs, ino, inode));
      }
      return WriteNewInode(fs, ino, inode);
    default:
      return WriteNewInode(fs, ino, inode);
  }
}

// Until its name is linked, the new inode looks deleted on disk (no links,
// a dtime): a crash in between leaves nothing for e2fsck to reattach to
// lost+found; it just frees the inode.
Status Publish(ext2_filsys fs, ext2_ino_t ino, bool is_dir) {
  ASSIGN_OR_RETURN(ext2_inode_large inode, ReadInode(fs, ino));
  inode.i_links_count = is_dir ? 2 : 1;
  inode.i_dtime = 0;
  return WriteInode(fs, ino, inode);
}

}  // namespace

uint32_t MaxSymlinkLength(ext2_filsys fs) {
  return fs->blocksize - 1;
}

uint64_t BlocksToCreate(ext2_filsys fs, const CreateSpec& spec) {
  if (S_ISDIR(spec.inode.mode)) {
    return ext2fs_has_feature_inline_data(fs->super) ? 0 : 1;
  }
  return S_ISLNK(spec.inode.mode) && spec.target.size() >= kFastSymlinkMax;
}

Result<ext2_ino_t> CreateInode(ext2_filsys fs, MetadataCommit& commit,
                               ext2_ino_t dir, std::string_view name,
                               const CreateSpec& spec) {
  const uint64_t own = BlocksToCreate(fs, spec);
  if (own > spec.budget) {
    return Status::Error(ENOSPC, "no free block for the new inode");
  }
  ASSIGN_OR_RETURN(InodeSlot slot, FindFreeInode(fs, dir, spec.inode.mode));
  ext2_inode_large inode = MakeInode(fs, slot, spec.inode);
  inode.i_dtime = static_cast<uint32_t>(spec.inode.now.tv_sec);
  commit.InodeChanged(slot.ino);
  Status st = InitInode(fs, slot.ino, dir, inode, spec);
  if (st.ok()) {
    st = AddEntry(fs, dir, name, slot.ino, spec.inode.mode, spec.budget - own);
  }
  if (st.ok()) {
    st = Publish(fs, slot.ino, S_ISDIR(spec.inode.mode));
  }
  if (!st.ok()) {
    if (ext2fs_test_inode_bitmap2(fs->inode_map, slot.ino)) {
      (void)FreeInode(fs, commit, slot.ino);
    }
    return st;
  }
  bool is_dir = S_ISDIR(spec.inode.mode);
  RETURN_IF_ERROR(TouchDir(fs, dir, spec.inode.now, is_dir ? 1 : 0));
  return slot.ino;
}

}  // namespace ext4fh
