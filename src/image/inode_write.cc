#include "image/inode_write.h"

#include <sys/stat.h>

#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "image/errcode.h"
#include "image/inode.h"

namespace ext4fh {
namespace {

// Whether the large-inode field at [field, field+4) fits in the inode's
// extra space.
bool Fits(const ext2_inode_large& inode, const uint32_t& field) {
  size_t end = reinterpret_cast<const char*>(&field) -
               reinterpret_cast<const char*>(&inode) + sizeof(field);
  return end <= static_cast<size_t>(EXT2_GOOD_OLD_INODE_SIZE) +
                    inode.i_extra_isize;
}

// The range ext4 can store (EXT4_{EXTRA_,}TIMESTAMP_{MIN,MAX}): 32 bits of
// seconds, plus 2 epoch bits with the extra field. The VFS clamps to it,
// and a time at either end loses its nanoseconds (timestamp_truncate); for
// FUSE that is the server's job.
timespec Clamp(timespec ts, bool extra) {
  constexpr int64_t kMin = INT32_MIN;
  const int64_t max = extra ? INT32_MAX + (int64_t{3} << 32) : INT32_MAX;
  if (ts.tv_sec <= kMin || ts.tv_sec >= max) {
    ts.tv_sec = ts.tv_sec <= kMin ? kMin : max;
    ts.tv_nsec = 0;
  }
  return ts;
}

void Encode(ext2_inode_large& inode, uint32_t& base, uint32_t& extra,
            timespec ts) {
  ts = Clamp(ts, Fits(inode, extra));
  base = static_cast<uint32_t>(ts.tv_sec);
  if (Fits(inode, extra)) {
    int64_t high = (ts.tv_sec - static_cast<int32_t>(ts.tv_sec)) >> 32;
    extra = (static_cast<uint32_t>(high) & 3) |
            (static_cast<uint32_t>(ts.tv_nsec) << 2);
  }
}

uint32_t RandomGeneration() {
  thread_local std::mt19937 rng(std::random_device{}());
  return rng();
}

}  // namespace

timespec Now() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return ts;
}

void SetTimes(ext2_inode_large& inode, unsigned fields, const timespec& ts) {
  if (fields & kAtime) {
    Encode(inode, inode.i_atime, inode.i_atime_extra, ts);
  }
  if (fields & kMtime) {
    Encode(inode, inode.i_mtime, inode.i_mtime_extra, ts);
  }
  if (fields & kCtime) {
    Encode(inode, inode.i_ctime, inode.i_ctime_extra, ts);
  }
  if ((fields & kCrtime) && Fits(inode, inode.i_crtime)) {
    Encode(inode, inode.i_crtime, inode.i_crtime_extra, ts);
  }
}

Status WriteInode(ext2_filsys fs, ext2_ino_t ino, ext2_inode_large& inode) {
  RETURN_IF_EXT2_ERROR(
      ext2fs_write_inode_full(fs, ino, reinterpret_cast<ext2_inode*>(&inode),
                              sizeof(inode)),
      "cannot write inode " + std::to_string(ino));
  return OkStatus();
}

Result<InodeSlot> FindFreeInode(ext2_filsys fs, ext2_ino_t dir, mode_t mode) {
  InodeSlot slot;
  RETURN_IF_EXT2_ERROR(ext2fs_new_inode(fs, dir, mode, nullptr, &slot.ino),
                       "cannot allocate an inode");
  // The old contents may be stale or uninitialized; only the generation
  // matters, and any value but the old one will do.
  Result<ext2_inode_large> old = ReadInode(fs, slot.ino);
  uint32_t old_generation = old.ok() ? old->i_generation : 0;
  do {
    slot.generation = RandomGeneration();
  } while (slot.generation == old_generation);
  return slot;
}

ext2_inode_large MakeInode(ext2_filsys fs, const InodeSlot& slot,
                           const NewInodeSpec& spec) {
  ext2_inode_large inode{};
  if (EXT2_INODE_SIZE(fs->super) > EXT2_GOOD_OLD_INODE_SIZE) {
    uint16_t want = fs->super->s_want_extra_isize;
    inode.i_extra_isize =
        want ? want : sizeof(ext2_inode_large) - EXT2_GOOD_OLD_INODE_SIZE;
  }
  inode.i_mode = static_cast<uint16_t>(spec.mode);
  inode.i_uid = static_cast<uint16_t>(spec.uid);
  inode.osd2.linux2.l_i_uid_high = static_cast<uint16_t>(spec.uid >> 16);
  inode.i_gid = static_cast<uint16_t>(spec.gid);
  inode.osd2.linux2.l_i_gid_high = static_cast<uint16_t>(spec.gid >> 16);
  inode.i_links_count = 0;  // CreateInode links it once it has a name
  inode.i_generation = slot.generation;
  inode.i_flags = spec.flags;
  SetTimes(inode, kAtime | kMtime | kCtime | kCrtime, spec.now);
  return inode;
}

Status WriteNewInode(ext2_filsys fs, ext2_ino_t ino, ext2_inode_large& inode) {
  std::vector<char> full(EXT2_INODE_SIZE(fs->super), 0);
  std::memcpy(full.data(), &inode,
              std::min(full.size(), sizeof(ext2_inode_large)));
  RETURN_IF_EXT2_ERROR(
      ext2fs_write_inode_full(fs, ino,
                              reinterpret_cast<ext2_inode*>(full.data()),
                              static_cast<int>(full.size())),
      "cannot write new inode " + std::to_string(ino));
  ext2fs_inode_alloc_stats2(fs, ino, +1, LINUX_S_ISDIR(inode.i_mode));
  return OkStatus();
}

Status MapBlockZero(ext2_filsys fs, ext2_ino_t ino, ext2_inode_large& inode,
                    blk64_t blk) {
  std::memset(inode.i_block, 0, sizeof(inode.i_block));
  if (ext2fs_has_feature_extents(fs->super)) {
    inode.i_flags &= ~EXT4_EXTENTS_FL;  // extent_open2 builds a fresh root
    ext2_extent_handle_t handle = nullptr;
    RETURN_IF_EXT2_ERROR(ext2fs_extent_open2(fs, ino, reinterpret_cast<ext2_inode*>(&inode), &handle),
                         "cannot start extent tree");
    errcode_t code = ext2fs_extent_set_bmap(handle, 0, blk, 0);
    ext2fs_extent_free(handle);
    RETURN_IF_EXT2_ERROR(code, "cannot map block");
  } else {
    inode.i_block[0] = static_cast<uint32_t>(blk);
  }
  RETURN_IF_EXT2_ERROR(ext2fs_iblk_add_blocks(fs, reinterpret_cast<ext2_inode*>(&inode), 1),
                       "cannot count block");
  return OkStatus();
}

}  // namespace ext4fh
