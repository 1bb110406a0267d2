#include "image/extent_edit.h"

#include <algorithm>
#include <memory>

#include <ext2fs/ext3_extents.h>

#include "image/errcode.h"
#include "image/file_data.h"
#include "image/inode.h"

namespace ext4fh {
namespace {

using Handle = std::unique_ptr<std::remove_pointer_t<ext2_extent_handle_t>,
                               void (*)(ext2_extent_handle_t)>;

Result<Handle> OpenHandle(ext2_filsys fs, ext2_ino_t ino,
                          ext2_inode_large& inode) {
  ext2_extent_handle_t raw = nullptr;
  RETURN_IF_EXT2_ERROR(
      ext2fs_extent_open2(fs, ino, reinterpret_cast<ext2_inode*>(&inode), &raw),
      "cannot open extent tree");
  return Handle(raw, ext2fs_extent_free);
}

// Inserts `e` where it belongs: after the extent before it, or before the
// first one. The tree must have a hole there.
Status InsertExtent(ext2_extent_handle_t h, ext2fs_extent e) {
  errcode_t code = ext2fs_extent_goto2(h, 0, e.e_lblk);
  if (code != 0 && code != EXT2_ET_EXTENT_NOT_FOUND) {
    return StatusFromErrcode(code, "cannot find extent");
  }
  ext2fs_extent current{};
  int flags = 0;
  if (ext2fs_extent_get(h, EXT2_EXTENT_CURRENT, &current) == 0 &&
      (current.e_flags & EXT2_EXTENT_FLAGS_LEAF) && current.e_lblk < e.e_lblk) {
    flags = EXT2_EXTENT_INSERT_AFTER;
  }
  RETURN_IF_EXT2_ERROR(ext2fs_extent_insert(h, flags, &e), "cannot add extent");
  code = ext2fs_extent_fix_parents(h);
  if (code != 0 && code != EXT2_ET_NO_CURRENT_NODE) {
    return StatusFromErrcode(code, "cannot fix index");
  }
  return OkStatus();
}

// Allocates up to `count` blocks (one contiguous run, near `goal`), maps
// them unwritten at `lblk`, and returns how many it mapped.
Result<uint64_t> MapNewRun(ext2_filsys fs, ext2_extent_handle_t h,
                           ext2_inode* inode, uint64_t lblk, uint64_t count,
                           blk64_t goal) {
  blk64_t pblk = 0, got = 0;
  RETURN_IF_EXT2_ERROR(ext2fs_new_range(fs, 0, goal, count, nullptr, &pblk, &got),
                       "cannot allocate blocks");
  ext2fs_block_alloc_stats_range(fs, pblk, static_cast<blk_t>(got), +1);
  ext2fs_extent e{};
  e.e_lblk = lblk;
  e.e_pblk = pblk;
  e.e_len = static_cast<uint32_t>(got);
  e.e_flags = EXT2_EXTENT_FLAGS_UNINIT;
  Status st = InsertExtent(h, e);
  if (!st.ok()) {
    ext2fs_block_alloc_stats_range(fs, pblk, static_cast<blk_t>(got), -1);
    return st;
  }
  RETURN_IF_EXT2_ERROR(ext2fs_iblk_add_blocks(fs, inode, got),
                       "cannot count blocks");
  return static_cast<uint64_t>(got);
}

// Positions the handle on the last extent that starts at or before
// `last`. Returns false when there is none.
Result<bool> GoToLastAtOrBefore(ext2_extent_handle_t h, uint64_t last,
                                ext2fs_extent* e) {
  errcode_t code = ext2fs_extent_goto2(h, 0, std::min<uint64_t>(last, 0xffffffffULL));
  if (code != 0 && code != EXT2_ET_EXTENT_NOT_FOUND) {
    return StatusFromErrcode(code, "cannot find extent");
  }
  code = ext2fs_extent_get(h, EXT2_EXTENT_CURRENT, e);
  if (code == EXT2_ET_NO_CURRENT_NODE || code == EXT2_ET_EXTENT_NO_NEXT) {
    return false;
  }
  RETURN_IF_EXT2_ERROR(code, "cannot read extent");
  if (!(e->e_flags & EXT2_EXTENT_FLAGS_LEAF)) {
    return false;  // an empty tree: only the root index is left
  }
  while (e->e_lblk > last) {
    code = ext2fs_extent_get(h, EXT2_EXTENT_PREV_LEAF, e);
    if (code == EXT2_ET_EXTENT_NO_PREV) {
      return false;
    }
    RETURN_IF_EXT2_ERROR(code, "cannot walk extents");
  }
  return true;
}

// Removes [a, b) from extent `e` (the handle's current extent).
Status CutExtent(ext2_extent_handle_t h, ext2fs_extent e, uint64_t a,
                 uint64_t b) {
  const uint64_t end = e.e_lblk + e.e_len;
  if (a == e.e_lblk && b == end) {
    RETURN_IF_EXT2_ERROR(ext2fs_extent_delete(h, 0), "cannot delete extent");
    // The leaf may now start later: its index entry must follow.
    errcode_t code = ext2fs_extent_fix_parents(h);
    if (code != 0 && code != EXT2_ET_NO_CURRENT_NODE) {
      return StatusFromErrcode(code, "cannot fix index");
    }
    return OkStatus();
  }
  if (a == e.e_lblk) {  // keep the tail
    e.e_pblk += b - e.e_lblk;
    e.e_len = static_cast<uint32_t>(end - b);
    e.e_lblk = b;
    RETURN_IF_EXT2_ERROR(ext2fs_extent_replace(h, 0, &e), "cannot trim extent");
    RETURN_IF_EXT2_ERROR(ext2fs_extent_fix_parents(h), "cannot fix index");
    return OkStatus();
  }
  const ext2fs_extent whole = e;
  ext2fs_extent tail = e;
  e.e_len = static_cast<uint32_t>(a - e.e_lblk);
  RETURN_IF_EXT2_ERROR(ext2fs_extent_replace(h, 0, &e), "cannot trim extent");
  if (b < end) {  // keep both ends: split
    tail.e_pblk += b - tail.e_lblk;
    tail.e_len = static_cast<uint32_t>(end - b);
    tail.e_lblk = b;
    errcode_t code = ext2fs_extent_insert(h, EXT2_EXTENT_INSERT_AFTER, &tail);
    if (code != 0) {
      // No room for the second half (a new tree block was needed): put the
      // extent back whole rather than lose its tail.
      ext2fs_extent restore = whole;
      (void)ext2fs_extent_replace(h, 0, &restore);
      return StatusFromErrcode(code, "cannot split extent");
    }
  }
  return OkStatus();
}

}  // namespace

Status AllocateUnwrittenExtents(ext2_filsys fs, ext2_ino_t ino,
                                ext2_inode_large& inode, uint64_t first,
                                uint64_t end) {
  auto* base = reinterpret_cast<ext2_inode*>(&inode);
  Status st;
  for (uint64_t lblk = first; lblk < end && st.ok();) {
    Result<BlockRun> run = MapBlocks(fs, ino, inode, lblk, end - lblk);
    if (!run.ok()) {
      st = run.status();
      break;
    }
    if (run->pblk != 0) {
      lblk += run->count;
      continue;
    }
    ASSIGN_OR_RETURN(Handle h, OpenHandle(fs, ino, inode));
    blk64_t goal = ext2fs_find_inode_goal(fs, ino, base, lblk);
    const uint64_t want = std::min<uint64_t>(run->count, EXT_UNINIT_MAX_LEN);
    Result<uint64_t> mapped = MapNewRun(fs, h.get(), base, lblk, want, goal);
    if (!mapped.ok()) {
      st = mapped.status();
      break;
    }
    lblk += *mapped;
  }
  // Written even when out of space part way: what was mapped is counted.
  RETURN_IF_EXT2_ERROR(ext2fs_write_inode_full(fs, ino, base, sizeof(inode)),
                       "cannot write inode");
  return st;
}

Status SplitExtentAt(ext2_filsys fs, ext2_ino_t ino, ext2_inode_large& inode,
                     uint64_t lblk) {
  ASSIGN_OR_RETURN(Handle h, OpenHandle(fs, ino, inode));
  if (ext2fs_extent_goto2(h.get(), 0, lblk) != 0) {
    return OkStatus();  // a hole: nothing to split
  }
  ext2fs_extent e{};
  RETURN_IF_EXT2_ERROR(ext2fs_extent_get(h.get(), EXT2_EXTENT_CURRENT, &e),
                       "cannot read extent");
  if (e.e_lblk == lblk) {
    return OkStatus();
  }
  ext2fs_extent tail = e;
  tail.e_lblk = lblk;
  tail.e_pblk = e.e_pblk + (lblk - e.e_lblk);
  tail.e_len = static_cast<uint32_t>(e.e_lblk + e.e_len - lblk);
  ext2fs_extent head = e;
  head.e_len = static_cast<uint32_t>(lblk - e.e_lblk);
  RETURN_IF_EXT2_ERROR(ext2fs_extent_replace(h.get(), 0, &head),
                       "cannot split extent");
  errcode_t code = ext2fs_extent_insert(h.get(), EXT2_EXTENT_INSERT_AFTER, &tail);
  if (code != 0) {
    (void)ext2fs_extent_replace(h.get(), 0, &e);
    return StatusFromErrcode(code, "cannot split extent");
  }
  h.reset();
  ASSIGN_OR_RETURN(inode, ReadInode(fs, ino));
  return OkStatus();
}

Status ShiftExtents(ext2_filsys fs, ext2_ino_t ino, ext2_inode_large& inode,
                    uint64_t from, int64_t delta) {
  ASSIGN_OR_RETURN(Handle h, OpenHandle(fs, ino, inode));
  // Insert moves the last extent first, collapse the first one, so that
  // extents never overlap on the way.
  ext2fs_extent e{};
  int op = delta > 0 ? EXT2_EXTENT_LAST_LEAF : EXT2_EXTENT_ROOT;
  errcode_t code = ext2fs_extent_get(h.get(), op, &e);
  if (delta < 0 && code == 0 && !(e.e_flags & EXT2_EXTENT_FLAGS_LEAF)) {
    code = ext2fs_extent_get(h.get(), EXT2_EXTENT_NEXT_LEAF, &e);
  }
  while (code == 0) {
    if (e.e_lblk >= from) {
      e.e_lblk = static_cast<blk64_t>(static_cast<int64_t>(e.e_lblk) + delta);
      RETURN_IF_EXT2_ERROR(ext2fs_extent_replace(h.get(), 0, &e),
                           "cannot move extent");
      RETURN_IF_EXT2_ERROR(ext2fs_extent_fix_parents(h.get()), "cannot fix index");
    } else if (delta > 0) {
      break;
    }
    code = ext2fs_extent_get(
        h.get(), delta > 0 ? EXT2_EXTENT_PREV_LEAF : EXT2_EXTENT_NEXT_LEAF, &e);
  }
  if (code != 0 && code != EXT2_ET_EXTENT_NO_NEXT &&
      code != EXT2_ET_EXTENT_NO_PREV && code != EXT2_ET_NO_CURRENT_NODE) {
    return StatusFromErrcode(code, "cannot walk extents");
  }
  h.reset();
  ASSIGN_OR_RETURN(inode, ReadInode(fs, ino));
  return OkStatus();
}

Status PunchExtents(ext2_filsys fs, ext2_ino_t ino, ext2_inode_large& inode,
                    uint64_t first, uint64_t last) {
  auto* base = reinterpret_cast<ext2_inode*>(&inode);
  ASSIGN_OR_RETURN(Handle handle, OpenHandle(fs, ino, inode));
  ext2_extent_handle_t raw = handle.get();
  while (first <= last) {
    ext2fs_extent e{};
    ASSIGN_OR_RETURN(bool found, GoToLastAtOrBefore(raw, last, &e));
    if (!found || e.e_lblk + e.e_len <= first) {
      break;
    }
    const uint64_t a = std::max<uint64_t>(first, e.e_lblk);
    const uint64_t b = std::min<uint64_t>(last == ~0ULL ? last : last + 1,
                                          e.e_lblk + e.e_len);
    const blk64_t pblk = e.e_pblk + (a - e.e_lblk);
    RETURN_IF_ERROR(CutExtent(raw, e, a, b));
    ext2fs_block_alloc_stats_range(fs, pblk, static_cast<blk_t>(b - a), -1);
    RETURN_IF_EXT2_ERROR(ext2fs_iblk_sub_blocks(fs, base, b - a),
                         "cannot count freed blocks");
    if (a == 0) {
      break;
    }
    last = a - 1;
  }
  handle.reset();
  RETURN_IF_EXT2_ERROR(ext2fs_write_inode_full(fs, ino, base, sizeof(inode)),
                       "cannot write inode");
  return OkStatus();
}

}  // namespace ext4fh
