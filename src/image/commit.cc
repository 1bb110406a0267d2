#include "image/commit.h"

#include <cstring>
#include <vector>

#include "image/errcode.h"

namespace ext4fh {
namespace {

MetadataCommit* CommitOf(ext2_filsys fs) {
  return static_cast<MetadataCommit*>(fs->priv_data);
}

void OnBlockStats(ext2_filsys fs, blk64_t blk, int) {
  CommitOf(fs)->BlockChanged(blk);
}

void OnBlockRangeStats(ext2_filsys fs, blk64_t blk, blk_t num, int) {
  for (blk64_t b = blk; b < blk + num; b += EXT2_BLOCKS_PER_GROUP(fs->super)) {
    CommitOf(fs)->BlockChanged(b);
  }
  CommitOf(fs)->BlockChanged(blk + num - 1);
}

// A bitmap block image: all ones (padding), then the group's bits.
std::vector<char> PaddedBlock(ext2_filsys fs) {
  return std::vector<char>(fs->blocksize, static_cast<char>(0xff));
}

}  // namespace

MetadataCommit::MetadataCommit(ext2_filsys fs) : fs_(fs) {
  fs_->priv_data = this;
  ext2fs_set_block_alloc_stats_callback(fs_, OnBlockStats, &old_block_cb_);
  ext2fs_set_block_alloc_stats_range_callback(fs_, OnBlockRangeStats,
                                              &old_range_cb_);
}

MetadataCommit::~MetadataCommit() {
  ext2fs_set_block_alloc_stats_callback(fs_, old_block_cb_, nullptr);
  ext2fs_set_block_alloc_stats_range_callback(fs_, old_range_cb_, nullptr);
  fs_->priv_data = nullptr;
}

void MetadataCommit::InodeChanged(ext2_ino_t ino) {
  dirty_groups_.insert(ext2fs_group_of_ino(fs_, ino));
  super_dirty_ = true;
}

void MetadataCommit::BlockChanged(blk64_t blk) {
  if (blk >= fs_->super->s_first_data_block &&
      blk < ext2fs_blocks_count(fs_->super)) {
    dirty_groups_.insert(ext2fs_group_of_blk2(fs_, blk));
  }
  super_dirty_ = true;
}

Status MetadataCommit::WriteGroupBitmaps(dgrp_t g) {
  const bool csum = ext2fs_has_group_desc_csum(fs_);
  if (!(csum && ext2fs_bg_flags_test(fs_, g, EXT2_BG_BLOCK_UNINIT))) {
    std::vector<char> buf = PaddedBlock(fs_);
    const unsigned nbits = EXT2_CLUSTERS_PER_GROUP(fs_->super);
    blk64_t first = EXT2FS_B2C(fs_, fs_->super->s_first_data_block) +
                    static_cast<blk64_t>(g) * nbits;
    RETURN_IF_EXT2_ERROR(
        ext2fs_get_block_bitmap_range2(fs_->block_map, first, nbits, buf.data()),
        "cannot get block bitmap");
    if (g == fs_->group_desc_count - 1) {
      unsigned used = EXT2FS_NUM_B2C(
          fs_, (ext2fs_blocks_count(fs_->super) - fs_->super->s_first_data_block) %
                   EXT2_BLOCKS_PER_GROUP(fs_->super));
      for (unsigned j = used; used != 0 && j < fs_->blocksize * 8; ++j) {
        ext2fs_set_bit(j, buf.data());
      }
    }
    RETURN_IF_EXT2_ERROR(
        ext2fs_block_bitmap_csum_set(fs_, g, buf.data(), nbits / 8),
        "cannot checksum block bitmap");
    RETURN_IF_EXT2_ERROR(io_channel_write_blk64(
                             fs_->io, ext2fs_block_bitmap_loc(fs_, g), 1,
                             buf.data()),
                         "cannot write block bitmap");
  }
  if (!(csum && ext2fs_bg_flags_test(fs_, g, EXT2_BG_INODE_UNINIT))) {
    std::vector<char> buf = PaddedBlock(fs_);
    const unsigned nbits = EXT2_INODES_PER_GROUP(fs_->super);
    RETURN_IF_EXT2_ERROR(
        ext2fs_get_inode_bitmap_range2(fs_->inode_map,
                                       static_cast<ext2_ino_t>(g) * nbits + 1,
                                       nbits, buf.data()),
        "cannot get inode bitmap");
    RETURN_IF_EXT2_ERROR(
        ext2fs_inode_bitmap_csum_set(fs_, g, buf.data(), (nbits + 7) / 8),
        "cannot checksum inode bitmap");
    RETURN_IF_EXT2_ERROR(io_channel_write_blk64(
                             fs_->io, ext2fs_inode_bitmap_loc(fs_, g), 1,
                             buf.data()),
                         "cannot write inode bitmap");
  }
  ext2fs_group_desc_csum_set(fs_, g);
  return OkStatus();
}

Status MetadataCommit::WriteDescriptorBlock(unsigned index) {
  blk64_t blk = ext2fs_descriptor_block_loc2(
      fs_, fs_->super->s_first_data_block, index);
  const char* data =
      reinterpret_cast<const char*>(fs_->group_desc) +
      static_cast<size_t>(index) * fs_->blocksize;
  RETURN_IF_EXT2_ERROR(io_channel_write_blk64(fs_->io, blk, 1, data),
                       "cannot write group descriptors");
  return OkStatus();
}

Status MetadataCommit::WriteSuperblock() {
  RETURN_IF_EXT2_ERROR(ext2fs_superblock_csum_set(fs_, fs_->super),
                       "cannot checksum superblock");
  RETURN_IF_EXT2_ERROR(io_channel_write_byte(fs_->io, SUPERBLOCK_OFFSET,
                                             SUPERBLOCK_SIZE, fs_->super),
                       "cannot write superblock");
  return OkStatus();
}

Status MetadataCommit::Commit() {
  std::set<unsigned> descriptor_blocks;
  const unsigned per_block = EXT2_DESC_PER_BLOCK(fs_->super);
  for (dgrp_t g : dirty_groups_) {
    RETURN_IF_ERROR(WriteGroupBitmaps(g));
    descriptor_blocks.insert(g / per_block);
  }
  for (unsigned index : descriptor_blocks) {
    RETURN_IF_ERROR(WriteDescriptorBlock(index));
  }
  if (super_dirty_) {
    RETURN_IF_ERROR(WriteSuperblock());
  }
  dirty_groups_.clear();
  super_dirty_ = false;
  return OkStatus();
}

}  // namespace ext4fh
