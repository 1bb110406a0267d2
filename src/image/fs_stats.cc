#include "image/fs_stats.h"

#include <algorithm>

#include "image/errcode.h"
#include "image/inode.h"
#include "image/space.h"

namespace ext4fh {
namespace {

uint64_t ClustersToBlocks(ext2_filsys fs, uint64_t clusters) {
  return clusters << fs->cluster_ratio_bits;
}

Result<uint64_t> JournalBlocks(ext2_filsys fs) {
  ext2_super_block* sb = fs->super;
  if (!ext2fs_has_feature_journal(sb) || sb->s_journal_inum == 0) {
    return uint64_t{0};
  }
  ASSIGN_OR_RETURN(ext2_inode_large inode, ReadInode(fs, sb->s_journal_inum));
  return InodeSize(fs, inode) / fs->blocksize;
}

}  // namespace

Result<uint64_t> ComputeOverheadBlocks(ext2_filsys fs) {
  if (fs->super->s_overhead_clusters != 0) {
    return ClustersToBlocks(fs, fs->super->s_overhead_clusters);
  }
  uint64_t overhead = fs->super->s_first_data_block;
  const uint64_t per_group_tables = 2 + fs->inode_blocks_per_group;
  for (dgrp_t g = 0; g < fs->group_desc_count; ++g) {
    blk64_t super_blk = 0, old_desc = 0, new_desc = 0;
    blk_t used = 0;
    RETURN_IF_EXT2_ERROR(ext2fs_super_and_bgd_loc2(fs, g, &super_blk,
                                                   &old_desc, &new_desc,
                                                   &used),
                         "cannot locate group metadata");
    overhead += used + per_group_tables;
  }
  ASSIGN_OR_RETURN(uint64_t journal, JournalBlocks(fs));
  return overhead + journal;
}

FsStats ComputeFsStats(ext2_filsys fs, uint64_t overhead_blocks) {
  uint64_t free_clusters = 0;
  uint64_t free_inodes = 0;
  for (dgrp_t g = 0; g < fs->group_desc_count; ++g) {
    free_clusters += ext2fs_bg_free_blocks_count(fs, g);
    free_inodes += ext2fs_bg_free_inodes_count(fs, g);
  }
  FsStats s;
  s.block_size = fs->blocksize;
  s.blocks = ext2fs_blocks_count(fs->super) - overhead_blocks;
  s.blocks_free = ClustersToBlocks(fs, free_clusters);
  uint64_t reserved =
      ext2fs_r_blocks_count(fs->super) + KernelReserveBlocks(fs);
  s.blocks_available = s.blocks_free > reserved ? s.blocks_free - reserved : 0;
  s.inodes = fs->super->s_inodes_count;
  s.inodes_free = free_inodes;
  s.name_max = EXT2_NAME_LEN;
  return s;
}

}  // namespace ext4fh
