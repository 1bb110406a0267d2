#include "image/file_write.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <memory>
#include <optional>
#include <vector>

#include "image/errcode.h"
#include "image/extent_edit.h"
#include "image/file_data.h"
#include "image/indirect_punch.h"
#include "image/inline_file.h"
#include "image/inode.h"

namespace ext4fh {
namespace {

constexpr uint64_t kMaxLfsFileSize = std::numeric_limits<int64_t>::max();

struct FileCloser {
  void operator()(ext2_file_t f) const { ext2fs_file_close(f); }
};
using File = std::unique_ptr<std::remove_pointer_t<ext2_file_t>, FileCloser>;

Result<File> OpenFile(ext2_filsys fs, ext2_ino_t ino, ext2_inode_large& inode) {
  ext2_file_t file = nullptr;
  RETURN_IF_EXT2_ERROR(
      ext2fs_file_open2(fs, ino, reinterpret_cast<ext2_inode*>(&inode),
                        EXT2_FILE_WRITE, &file),
      "cannot open file");
  return File(file);
}

// Closes `file` (flushing it) and reloads `inode` from disk.
Status CloseFile(File file, ext2_filsys fs, ext2_ino_t ino,
                 ext2_inode_large& inode) {
  errcode_t code = ext2fs_file_close(file.release());
  RETURN_IF_EXT2_ERROR(code, "cannot flush file");
  ASSIGN_OR_RETURN(inode, ReadInode(fs, ino));
  return OkStatus();
}

uint64_t ExtentMaxSize(unsigned bits, bool huge_file) {
  uint64_t upper = kMaxLfsFileSize;
  if (!huge_file) {
    upper = (((1ULL << 32) - 1) >> (bits - 9)) << bits;
  }
  return std::min<uint64_t>(((1ULL << 32) - 1) << bits, upper);
}

// ext4_max_bitmap_size: the block tree's reach, less its own metadata
// blocks when i_blocks limits the size.
uint64_t BitmapMaxSize(unsigned bits, bool huge_file) {
  const uint64_t ppb = 1ULL << (bits - 2);
  uint64_t upper = huge_file ? (1ULL << 48) - 1
                             : ((1ULL << 32) - 1) >> (bits - 9);
  uint64_t res = 12 + ppb + ppb * ppb + ppb * ppb * ppb;
  uint64_t meta = 1 + (1 + ppb) + (1 + ppb + ppb * ppb);
  if (res + meta > upper) {
    res = upper;
    upper -= 12;
    meta = 1;
    upper -= ppb;
    if (upper < ppb * ppb) {
      meta += 1 + (upper + ppb - 1) / ppb;
    } else {
      meta += 1 + ppb;
      upper -= ppb * ppb;
      meta += 1 + (upper + ppb - 1) / ppb + (upper + ppb * ppb - 1) / (ppb * ppb);
    }
    res -= meta;
  }
  return std::min(res << bits, kMaxLfsFileSize);
}

bool IsExtentMapped(const ext2_inode_large& inode) {
  return (inode.i_flags & EXT4_EXTENTS_FL) != 0;
}

// Zeroes [from, to) inside one block, if that block holds written data.
Status ZeroInBlock(ext2_filsys fs, ext2_ino_t ino, ext2_inode_large& inode,
                   uint64_t from, uint64_t to) {
  const uint64_t bs = fs->blocksize;
  ASSIGN_OR_RETURN(BlockRun run, MapBlocks(fs, ino, inode, from / bs, 1));
  if (!run.is_data() || from >= to) {
    return OkStatus();
  }
  std::vector<char> block(bs);
  RETURN_IF_EXT2_ERROR(io_channel_read_blk64(fs->io, run.pblk, 1, block.data()),
                       "cannot read block");
  std::memset(block.data() + from % bs, 0, to - from);
  RETURN_IF_EXT2_ERROR(io_channel_write_blk64(fs->io, run.pblk, 1, block.data()),
                       "cannot write block");
  return OkStatus();
}

// Zeroes the parts of [offset, offset+len) outside whole blocks.
Status ZeroPartialBlocks(ext2_filsys fs, ext2_ino_t ino,
                         ext2_inode_large& inode, uint64_t offset,
                         uint64_t len) {
  const uint64_t bs = fs->blocksize;
  const uint64_t end = offset + len;
  const uint64_t first_full = (offset + bs - 1) / bs * bs;
  const uint64_t last_full = end / bs * bs;
  if (first_full > last_full) {  // inside one block
    return ZeroInBlock(fs, ino, inode, offset, end);
  }
  RETURN_IF_ERROR(ZeroInBlock(fs, ino, inode, offset, first_full));
  return ZeroInBlock(fs, ino, inode, last_full, end);
}

Status Punch(ext2_filsys fs, ext2_ino_t ino, ext2_inode_large& inode,
             uint64_t first_blk, uint64_t end_blk) {
  if (first_blk >= end_blk) {
    return OkStatus();
  }
  return FreeBlocks(fs, ino, inode, first_blk, end_blk - 1);
}

Status AllocateUnwritten(ext2_filsys fs, ext2_ino_t ino,
                         ext2_inode_large& inode, uint64_t first_blk,
                         uint64_t end_blk) {
  if (first_blk >= end_blk) {
    return OkStatus();
  }
  return AllocateUnwrittenExtents(fs, ino, inode, first_blk, end_blk);
}

// Sets i_size to `size` and writes the inode.
Status SetInodeSize(ext2_filsys fs, ext2_ino_t ino, ext2_inode_large& inode,
                    uint64_t size) {
  RETURN_IF_EXT2_ERROR(
      ext2fs_inode_size_set(fs, reinterpret_cast<ext2_inode*>(&inode), size),
      "cannot set size");
  RETURN_IF_EXT2_ERROR(ext2fs_write_inode_full(
                           fs, ino, reinterpret_cast<ext2_inode*>(&inode),
                           sizeof(inode)),
                       "cannot write inode");
  return OkStatus();
}

Status GrowSize(ext2_filsys fs, ext2_ino_t ino, ext2_inode_large& inode,
                uint64_t size) {
  if (size <= InodeSize(fs, inode)) {
    return OkStatus();
  }
  return SetInodeSize(fs, ino, inode, size);
}

Status CheckShiftArgs(ext2_filsys fs, const ext2_inode_large& inode,
                      uint64_t offset, uint64_t len) {
  if (!IsExtentMapped(inode)) {
    return Status::Error(EOPNOTSUPP, "needs an extent-mapped file");
  }
  if (offset % fs->blocksize != 0 || len % fs->blocksize != 0 || len == 0) {
    return Status::Error(EINVAL, "range not block aligned");
  }
  return OkStatus();
}

}  // namespace

Status FreeBlocks(ext2_filsys fs, ext2_ino_t ino, ext2_inode_large& inode,
                  uint64_t first, uint64_t last) {
  if (HasInlineData(inode)) {
    // No blocks to free. ext2fs_punch would drop system.data but keep the
    // flag, which e2fsck calls corrupt; keep the pair instead.
    return first == 0 ? StoreInline(fs, ino, inode, "").status() : OkStatus();
  }
  if (IsExtentMapped(inode)) {
    RETURN_IF_ERROR(PunchExtents(fs, ino, inode, first, last));
  } else {
    RETURN_IF_ERROR(PunchIndirect(fs, ino, inode, first, last));
  }
  ASSIGN_OR_RETURN(inode, ReadInode(fs, ino));
  return OkStatus();
}

uint64_t MaxFileSize(ext2_filsys fs, const ext2_inode_large& inode) {
  unsigned bits = EXT2_BLOCK_SIZE_BITS(fs->super);
  bool huge = ext2fs_has_feature_huge_file(fs->super);
  // An inline file becomes extent-mapped where the filesystem has extents.
  bool extents = HasInlineData(inode) ? ext2fs_has_feature_extents(fs->super)
                                      : IsExtentMapped(inode);
  return extents ? ExtentMaxSize(bits, huge) : BitmapMaxSize(bits, huge);
}

Result<size_t> WriteFileData(ext2_filsys fs, ext2_ino_t ino,
                             ext2_inode_large& inode, uint64_t offset,
                             std::span<const char> data) {
  const uint64_t max = MaxFileSize(fs, inode);
  if (offset >= max) {
    return Status::Error(EFBIG);
  }
  data = data.first(std::min<uint64_t>(data.size(), max - offset));
  if (data.empty()) {
    return size_t{0};
  }
  // Inline files never reach ext2fs_file_write (inline_file.h).
  ASSIGN_OR_RETURN(std::optional<size_t> inline_written,
                   WriteInline(fs, ino, inode, offset, data));
  if (inline_written) {
    return *inline_written;
  }
  RETURN_IF_ERROR(ConvertInlineToBlocks(fs, ino, inode));
  ASSIGN_OR_RETURN(File file, OpenFile(fs, ino, inode));
  RETURN_IF_EXT2_ERROR(
      ext2fs_file_llseek(file.get(), offset, EXT2_SEEK_SET, nullptr),
      "cannot seek");
  unsigned int written = 0;
  errcode_t code = ext2fs_file_write(file.get(), data.data(),
                                     static_cast<unsigned>(data.size()), &written);
  Status close = CloseFile(std::move(file), fs, ino, inode);
  RETURN_IF_EXT2_ERROR(code, "cannot write file data");
  RETURN_IF_ERROR(close);
  return static_cast<size_t>(written);
}

Status SetFileSize(ext2_filsys fs, ext2_ino_t ino, ext2_inode_large& inode,
                   uint64_t size) {
  if (size > MaxFileSize(fs, inode)) {
    return Status::Error(EFBIG);
  }
  if (HasInlineData(inode)) {
    ASSIGN_OR_RETURN(bool stays_inline, ResizeInline(fs, ino, inode, size));
    if (stays_inline) {
      return OkStatus();
    }
    RETURN_IF_ERROR(ConvertInlineToBlocks(fs, ino, inode));
  }
  // Not ext2fs_file_set_size2: it punches with ext2fs_punch (extent_edit.h,
  // indirect_punch.h).
  const uint64_t bs = fs->blocksize;
  const uint64_t old_blocks = (InodeSize(fs, inode) + bs - 1) / bs;
  RETURN_IF_ERROR(SetInodeSize(fs, ino, inode, size));
  if (size % bs != 0) {
    RETURN_IF_ERROR(ZeroInBlock(fs, ino, inode, size, (size / bs + 1) * bs));
  }
  const uint64_t keep = (size + bs - 1) / bs;
  return keep < old_blocks ? FreeBlocks(fs, ino, inode, keep, ~0ULL) : OkStatus();
}

Status PunchRange(ext2_filsys fs, ext2_ino_t ino, ext2_inode_large& inode,
                  uint64_t offset, uint64_t len) {
  RETURN_IF_ERROR(ConvertInlineToBlocks(fs, ino, inode));  // as ext4_fallocate
  const uint64_t bs = fs->blocksize;
  const uint64_t size = InodeSize(fs, inode);
  RETURN_IF_ERROR(ZeroPartialBlocks(fs, ino, inode, offset,
                                    std::min(len, size > offset ? size - offset : 0)));
  return Punch(fs, ino, inode, (offset + bs - 1) / bs, (offset + len) / bs);
}

Status AllocateRange(ext2_filsys fs, ext2_ino_t ino, ext2_inode_large& inode,
                     uint64_t offset, uint64_t len, bool keep_size) {
  RETURN_IF_ERROR(ConvertInlineToBlocks(fs, ino, inode));
  if (!IsExtentMapped(inode)) {
    return Status::Error(EOPNOTSUPP, "fallocate needs extents");
  }
  if (offset + len > MaxFileSize(fs, inode)) {
    return Status::Error(EFBIG);
  }
  const uint64_t bs = fs->blocksize;
  RETURN_IF_ERROR(AllocateUnwritten(fs, ino, inode, offset / bs,
                                    (offset + len + bs - 1) / bs));
  return keep_size ? OkStatus() : GrowSize(fs, ino, inode, offset + len);
}

Status ZeroRange(ext2_filsys fs, ext2_ino_t ino, ext2_inode_large& inode,
                 uint64_t offset, uint64_t len, bool keep_size) {
  RETURN_IF_ERROR(ConvertInlineToBlocks(fs, ino, inode));
  if (!IsExtentMapped(inode)) {
    return Status::Error(EOPNOTSUPP, "zero range needs extents");
  }
  if (offset + len > MaxFileSize(fs, inode)) {
    return Status::Error(EFBIG);
  }
  const uint64_t bs = fs->blocksize;
  // Whole blocks lose their data; then every block the range touches is
  // allocated (holes as unwritten), and written edge blocks are zeroed.
  RETURN_IF_ERROR(Punch(fs, ino, inode, (offset + bs - 1) / bs, (offset + len) / bs));
  RETURN_IF_ERROR(AllocateUnwritten(fs, ino, inode, offset / bs,
                                    (offset + len + bs - 1) / bs));
  RETURN_IF_ERROR(ZeroPartialBlocks(fs, ino, inode, offset, len));
  return keep_size ? OkStatus() : GrowSize(fs, ino, inode, offset + len);
}

Status CollapseRange(ext2_filsys fs, ext2_ino_t ino, ext2_inode_large& inode,
                     uint64_t offset, uint64_t len) {
  RETURN_IF_ERROR(ConvertInlineToBlocks(fs, ino, inode));
  RETURN_IF_ERROR(CheckShiftArgs(fs, inode, offset, len));
  const uint64_t size = InodeSize(fs, inode);
  if (offset + len >= size) {
    return Status::Error(EINVAL, "collapse reaches end of file");
  }
  const uint64_t bs = fs->blocksize;
  RETURN_IF_ERROR(Punch(fs, ino, inode, offset / bs, (offset + len) / bs));
  RETURN_IF_ERROR(ShiftExtents(fs, ino, inode, (offset + len) / bs,
                               -static_cast<int64_t>(len / bs)));
  RETURN_IF_EXT2_ERROR(
      ext2fs_inode_size_set(fs, reinterpret_cast<ext2_inode*>(&inode), size - len),
      "cannot set size");
  RETURN_IF_EXT2_ERROR(ext2fs_write_inode_full(
                           fs, ino, reinterpret_cast<ext2_inode*>(&inode),
                           sizeof(inode)),
                       "cannot write inode");
  return OkStatus();
}

Status InsertRange(ext2_filsys fs, ext2_ino_t ino, ext2_inode_large& inode,
                   uint64_t offset, uint64_t len) {
  RETURN_IF_ERROR(ConvertInlineToBlocks(fs, ino, inode));
  RETURN_IF_ERROR(CheckShiftArgs(fs, inode, offset, len));
  const uint64_t size = InodeSize(fs, inode);
  if (offset >= size) {
    return Status::Error(EINVAL, "insert at or past end of file");
  }
  if (size + len > MaxFileSize(fs, inode)) {
    return Status::Error(EFBIG);
  }
  const uint64_t bs = fs->blocksize;
  RETURN_IF_ERROR(SplitExtentAt(fs, ino, inode, offset / bs));
  RETURN_IF_ERROR(
      ShiftExtents(fs, ino, inode, offset / bs, static_cast<int64_t>(len / bs)));
  RETURN_IF_EXT2_ERROR(
      ext2fs_inode_size_set(fs, reinterpret_cast<ext2_inode*>(&inode), size + len),
      "cannot set size");
  RETURN_IF_EXT2_ERROR(ext2fs_write_inode_full(
                           fs, ino, reinterpret_cast<ext2_inode*>(&inode),
                           sizeof(inode)),
                       "cannot write inode");
  return OkStatus();
}

Result<uint64_t> SeekDataOrHole(ext2_filsys fs, ext2_ino_t ino,
                                ext2_inode_large& inode, uint64_t offset,
                                bool data) {
  const uint64_t size = InodeSize(fs, inode);
  if (offset >= size) {
    return Status::Error(ENXIO);
  }
  if (HasInlineData(inode)) {
    return data ? offset : size;
  }
  const uint64_t bs = fs->blocksize;
  const uint64_t end_blk = (size + bs - 1) / bs;
  for (uint64_t lblk = offset / bs; lblk < end_blk;) {
    ASSIGN_OR_RETURN(BlockRun run, MapBlocks(fs, ino, inode, lblk, end_blk - lblk));
    if (run.is_data() == data) {
      return std::max(offset, lblk * bs);
    }
    lblk += run.count;
  }
  if (data) {
    return Status::Error(ENXIO);
  }
  return size;
}

}  // namespace ext4fh
