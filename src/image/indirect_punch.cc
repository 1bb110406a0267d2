#include "image/indirect_punch.h"

#include <algorithm>
#include <vector>

#include "image/errcode.h"
#include "image/inode_write.h"

namespace ext4fh {
namespace {

// One walk over the tree: its geometry and how many blocks it freed.
struct Punch {
  ext2_filsys fs;
  uint64_t per_block;  // block numbers per indirect block
  uint64_t first;
  uint64_t last;
  uint64_t freed = 0;

  // Frees what `ptrs` maps in [first, last]. Entry i maps logical blocks
  // [base + i*span, base + (i+1)*span), span = per_block^level; level 0
  // entries are data blocks. Sets *changed when an entry became 0.
  Status Walk(uint32_t* ptrs,
              size_t count,
              int level,
              uint64_t base,
              bool* changed) {
    uint64_t span = 1;
    for (int l = 0; l < level; ++l) {
      span *= per_block;
    }
    for (size_t i = 0; i < count; ++i) {
      const uint64_t lo = base + i * span;
      if (lo > last) {
        break;
      }
      if (ptrs[i] == 0 || lo + span - 1 < first) {
        continue;
      }
      bool now_empty = true;
      if (level > 0) {
        RETURN_IF_ERROR(Descend(ptrs[i], level, lo, &now_empty));
      }
      if (now_empty) {
        ext2fs_block_alloc_stats2(fs, ptrs[i], -1);
        ptrs[i] = 0;
        ++freed;
        *changed = true;
      }
    }
    return OkStatus();
  }

  // Walks indirect block `blk`; *empty tells whether it maps nothing now.
  Status Descend(blk_t blk, int level, uint64_t base, bool* empty) {
    std::vector<uint32_t> child(per_block);
    RETURN_IF_EXT2_ERROR(ext2fs_read_ind_block(fs, blk, child.data()),
                         "cannot read indirect block");
    bool changed = false;
    RETURN_IF_ERROR(
        Walk(child.data(), child.size(), level - 1, base, &changed));
    *empty = std::all_of(child.begin(), child.end(),
                         [](uint32_t b) { return b == 0; });
    if (changed && !*empty) {
      RETURN_IF_EXT2_ERROR(ext2fs_write_ind_block(fs, blk, child.data()),
                           "cannot write indirect block");
    }
    return OkStatus();
  }
};

}  // namespace

Status PunchIndirect(ext2_filsys fs,
                     ext2_ino_t ino,
                     ext2_inode_large& inode,
                     uint64_t first,
                     uint64_t last) {
  Punch punch{fs, fs->blocksize / sizeof(uint32_t), first, last};
  bool changed = false;
  // i_block: 12 direct blocks, then one single, double and triple
  // indirect pointer, each mapping the range after the one before.
  RETURN_IF_ERROR(punch.Walk(inode.i_block, EXT2_NDIR_BLOCKS, 0, 0, &changed));
  uint64_t base = EXT2_NDIR_BLOCKS, span = punch.per_block;
  for (int level = 1; level <= 3; ++level) {
    RETURN_IF_ERROR(punch.Walk(&inode.i_block[EXT2_NDIR_BLOCKS + level - 1], 1,
                               level, base, &changed));
    base += span;
    span *= punch.per_block;
  }
  RETURN_IF_EXT2_ERROR(
      ext2fs_iblk_sub_blocks(fs, reinterpret_cast<ext2_inode*>(&inode),
                             punch.freed),
      "cannot count blocks");
  return WriteInode(fs, ino, inode);
}

}  // namespace ext4fh
