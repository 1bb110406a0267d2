#include "image/dir_block.h"

#include <dirent.h>
#include <ext2fs/ext2_fs.h>

#include <cstring>
#include <string>

namespace ext4fh {
namespace {

constexpr uint32_t kHeaderSize = 8;  // inode, rec_len, name_len, file_type
constexpr uint32_t kMinRecLen = 12;
constexpr uint16_t kMaxRecLen = 65535;  // EXT4_MAX_REC_LEN: a whole 64 KiB block

uint32_t Le32(const char* p) {
  uint32_t v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}

uint16_t Le16(const char* p) {
  uint16_t v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}

// The real record length (ext2fs_get_rec_len: 64 KiB blocks need a bit
// trick because rec_len is 16 bits wide).
uint32_t DecodeRecLen(uint16_t raw, uint32_t block_size) {
  if (block_size < 65536) {
    return raw;
  }
  if (raw == kMaxRecLen || raw == 0) {
    return block_size;
  }
  return (raw & 65532) | ((raw & 3) << 16);
}

Status Malformed(uint32_t offset, const char* what) {
  return Status::Error(EUCLEAN, "corrupt directory record at offset " +
                                    std::to_string(offset) + ": " + what);
}

}  // namespace

Status WalkDirents(std::span<const char> region, uint32_t block_size,
                   bool has_filetype, const DirentVisitor& visit) {
  uint32_t offset = 0;
  const uint32_t size = static_cast<uint32_t>(region.size());
  while (offset + kHeaderSize <= size) {
    const char* p = region.data() + offset;
    RawDirent d;
    d.ino = Le32(p);
    d.offset = offset;
    d.rec_len = DecodeRecLen(Le16(p + 4), block_size);
    uint32_t name_len = static_cast<uint8_t>(p[6]);
    if (has_filetype) {
      d.file_type = static_cast<uint8_t>(p[7]);
    } else {
      name_len |= static_cast<uint32_t>(static_cast<uint8_t>(p[7])) << 8;
    }
    if (d.rec_len < kMinRecLen || d.rec_len % 4 != 0) {
      return Malformed(offset, "bad rec_len");
    }
    if (d.rec_len > size - offset) {
      return Malformed(offset, "record runs past the block");
    }
    if (kHeaderSize + name_len > d.rec_len) {
      return Malformed(offset, "name longer than its record");
    }
    d.name = std::string_view(p + kHeaderSize, name_len);
    if (d.ino != 0 && name_len != 0 && !visit(d)) {
      return OkStatus();
    }
    offset += d.rec_len;
  }
  return OkStatus();
}

uint8_t DirentTypeToDt(uint8_t file_type) {
  switch (file_type) {
    case EXT2_FT_REG_FILE:
      return DT_REG;
    case EXT2_FT_DIR:
      return DT_DIR;
    case EXT2_FT_CHRDEV:
      return DT_CHR;
    case EXT2_FT_BLKDEV:
      return DT_BLK;
    case EXT2_FT_FIFO:
      return DT_FIFO;
    case EXT2_FT_SOCK:
      return DT_SOCK;
    case EXT2_FT_SYMLINK:
      return DT_LNK;
    default:
      return DT_UNKNOWN;
  }
}

}  // namespace ext4fh
