#include "image/file_data.h"

#include <algorithm>
#include <cstring>
#include <memory>
#include <vector>

#include "image/errcode.h"
#include "image/inode.h"

namespace ext4fh {
namespace {

// Frees an extent handle.
struct ExtentHandleCloser {
  void operator()(ext2_extent_handle_t h) const { ext2fs_extent_free(h); }
};
using ExtentHandle =
    std::unique_ptr<std::remove_pointer_t<ext2_extent_handle_t>,
                    ExtentHandleCloser>;

Result<BlockRun> RunFromExtent(const ext2fs_extent& e, uint64_t lblk,
                               uint64_t max_count) {
  BlockRun run;
  run.lblk = lblk;
  run.count = std::min<uint64_t>(e.e_lblk + e.e_len - lblk, max_count);
  run.pblk = e.e_pblk + (lblk - e.e_lblk);
  run.unwritten = (e.e_flags & EXT2_EXTENT_FLAGS_UNINIT) != 0;
  return run;
}

// The hole at `lblk`, up to the next extent (the handle is positioned where
// ext2fs_extent_goto2 left it after not finding lblk).
Result<BlockRun> HoleRun(ext2_extent_handle_t h, uint64_t lblk,
                         uint64_t max_count) {
  BlockRun hole{lblk, max_count, 0, false};
  ext2fs_extent e{};
  errcode_t code = ext2fs_extent_get(h, EXT2_EXTENT_CURRENT, &e);
  if (code == 0 && e.e_lblk <= lblk) {
    code = ext2fs_extent_get(h, EXT2_EXTENT_NEXT_LEAF, &e);
  }
  if (code == EXT2_ET_EXTENT_NO_NEXT || code == EXT2_ET_NO_CURRENT_NODE) {
    return hole;
  }
  RETURN_IF_EXT2_ERROR(code, "cannot walk extents");
  if (e.e_lblk > lblk) {
    hole.count = std::min<uint64_t>(e.e_lblk - lblk, max_count);
  }
  return hole;
}

Result<BlockRun> MapExtents(ext2_filsys fs, ext2_ino_t ino,
                            ext2_inode_large& inode, uint64_t lblk,
                            uint64_t max_count) {
  ext2_extent_handle_t raw = nullptr;
  RETURN_IF_EXT2_ERROR(
      ext2fs_extent_open2(fs, ino, reinterpret_cast<ext2_inode*>(&inode),
                          &raw),
      "cannot open extent tree");
  ExtentHandle h(raw);
  errcode_t code = ext2fs_extent_goto2(h.get(), 0, lblk);
  if (code == EXT2_ET_EXTENT_NOT_FOUND) {
    return HoleRun(h.get(), lblk, max_count);
  }
  RETURN_IF_EXT2_ERROR(code, "cannot find extent");
  ext2fs_extent e{};
  RETURN_IF_EXT2_ERROR(ext2fs_extent_get(h.get(), EXT2_EXTENT_CURRENT, &e),
                       "cannot read extent");
  return RunFromExtent(e, lblk, max_count);
}

// How many blocks from the hole at `lblk` on lie under the same missing
// pointer of the block map: the kernel's ext4_ind_map_blocks reports such
// a subtree's whole range at once, so that lseek and reads cross a large
// hole without mapping it block by block.
Result<uint64_t> IndirectHoleLength(ext2_filsys fs,
                                    const ext2_inode_large& inode,
                                    uint64_t lblk) {
  const uint64_t per_block = fs->blocksize / sizeof(uint32_t);
  if (lblk < EXT2_NDIR_BLOCKS) {
    return uint64_t{1};
  }
  uint64_t rel = lblk - EXT2_NDIR_BLOCKS;
  uint64_t span = per_block;  // blocks under the top pointer
  int level = 0;              // 0: single, 1: double, 2: triple indirect
  for (; level < 3 && rel >= span; ++level) {
    rel -= span;
    span *= per_block;
  }
  if (level == 3) {
    return uint64_t{1};
  }
  uint32_t ptr = inode.i_block[EXT2_IND_BLOCK + level];
  std::vector<uint32_t> table(per_block);
  while (ptr != 0 && span > 1) {
    RETURN_IF_EXT2_ERROR(io_channel_read_blk64(fs->io, ptr, 1, table.data()),
                         "cannot read indirect block");
    span /= per_block;
    ptr = ext2fs_le32_to_cpu(table[rel / span]);
    rel %= span;
  }
  return ptr == 0 ? span - rel : 1;
}

// Block-mapped files: one bmap per block, merged while contiguous; a hole
// is skipped a missing indirect block at a time.
Result<BlockRun> MapIndirect(ext2_filsys fs, ext2_ino_t ino,
                             ext2_inode_large& inode, uint64_t lblk,
                             uint64_t max_count) {
  BlockRun run{lblk, 0, 0, false};
  for (uint64_t i = 0; i < max_count;) {
    blk64_t pblk = 0;
    RETURN_IF_EXT2_ERROR(
        ext2fs_bmap2(fs, ino, reinterpret_cast<ext2_inode*>(&inode), nullptr,
                     0, lblk + i, nullptr, &pblk),
        "cannot map block");
    if (i == 0) {
      run.pblk = pblk;
    } else if ((run.pblk == 0) != (pblk == 0) ||
               (pblk != 0 && pblk != run.pblk + i)) {
      break;
    }
    uint64_t step = 1;
    if (pblk == 0) {
      ASSIGN_OR_RETURN(step, IndirectHoleLength(fs, inode, lblk + i));
    }
    i = std::min(i + step, max_count);
    run.count = i;
  }
  return run;
}

// Inline files: the bytes stored in the inode, then zeros up to i_size
// (as the kernel's ext4_read_inline_folio zero-fills past them).
Result<size_t> ReadInline(ext2_filsys fs, ext2_ino_t ino,
                          ext2_inode_large& inode, uint64_t offset,
                          std::span<char> out) {
  const uint64_t file_size = InodeSize(fs, inode);
  if (offset >= file_size) {
    return size_t{0};
  }
  size_t stored = 0;
  RETURN_IF_EXT2_ERROR(ext2fs_inline_data_size(fs, ino, &stored),
                       "cannot size inline data");
  std::vector<char> buf(std::max<size_t>(stored, EXT4_MIN_INLINE_DATA_SIZE));
  RETURN_IF_EXT2_ERROR(
      ext2fs_inline_data_get(fs, ino, reinterpret_cast<ext2_inode*>(&inode),
                             buf.data(), &stored),
      "cannot read inline data");
  size_t n = std::min<uint64_t>(out.size(), file_size - offset);
  std::memset(out.data(), 0, n);
  if (offset < stored) {
    std::memcpy(out.data(), buf.data() + offset,
                std::min<size_t>(n, stored - offset));
  }
  return n;
}

// Copies the part of run `run` that overlaps [offset, offset+out.size())
// into `out`.
Status CopyRun(ext2_filsys fs, const BlockRun& run, uint64_t offset,
               std::span<char> out, std::vector<char>* scratch) {
  const uint64_t bs = fs->blocksize;
  const uint64_t run_start = run.lblk * bs;
  const uint64_t from = std::max(offset, run_start);
  const uint64_t to = std::min(offset + out.size(), run_start + run.count * bs);
  char* dest = out.data() + (from - offset);
  if (!run.is_data()) {
    std::memset(dest, 0, to - from);
    return OkStatus();
  }
  scratch->resize(run.count * bs);
  RETURN_IF_EXT2_ERROR(io_channel_read_blk64(fs->io, run.pblk,
                                             static_cast<int>(run.count),
                                             scratch->data()),
                       "cannot read file data");
  std::memcpy(dest, scratch->data() + (from - run_start), to - from);
  return OkStatus();
}

}  // namespace

Result<BlockRun> MapBlocks(ext2_filsys fs, ext2_ino_t ino,
                           ext2_inode_large& inode, uint64_t lblk,
                           uint64_t max_count) {
  if (HasExtents(inode)) {
    return MapExtents(fs, ino, inode, lblk, max_count);
  }
  return MapIndirect(fs, ino, inode, lblk, max_count);
}

Result<size_t> ReadFileData(ext2_filsys fs, ext2_ino_t ino,
                            ext2_inode_large& inode, uint64_t offset,
                            std::span<char> out) {
  if (HasInlineData(inode)) {
    return ReadInline(fs, ino, inode, offset, out);
  }
  const uint64_t size = InodeSize(fs, inode);
  if (offset >= size || out.empty()) {
    return size_t{0};
  }
  out = out.first(std::min<uint64_t>(out.size(), size - offset));
  const uint64_t bs = fs->blocksize;
  const uint64_t end_lblk = (offset + out.size() + bs - 1) / bs;
  std::vector<char> scratch;
  for (uint64_t lblk = offset / bs; lblk < end_lblk;) {
    ASSIGN_OR_RETURN(BlockRun run,
                     MapBlocks(fs, ino, inode, lblk, end_lblk - lblk));
    RETURN_IF_ERROR(CopyRun(fs, run, offset, out, &scratch));
    lblk += run.count;
  }
  return out.size();
}

Result<std::string> ReadSymlinkTarget(ext2_filsys fs, ext2_ino_t ino,
                                      ext2_inode_large& inode) {
  const uint64_t size = InodeSize(fs, inode);
  if (size == 0 || size >= fs->blocksize) {
    return Status::Error(EUCLEAN, "bad symlink size");
  }
  std::string target(size, '\0');
  if (ext2fs_is_fast_symlink(reinterpret_cast<ext2_inode*>(&inode))) {
    std::memcpy(target.data(), inode.i_block, size);
    return target;
  }
  ASSIGN_OR_RETURN(size_t n, ReadFileData(fs, ino, inode, 0, target));
  if (n != size) {
    return Status::Error(EUCLEAN, "short symlink");
  }
  return target;
}

}  // namespace ext4fh
