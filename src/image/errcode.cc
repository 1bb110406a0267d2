#include "image/errcode.h"

#include <et/com_err.h>

#include <array>

namespace ext4fh {
namespace {

struct Translation {
  errcode_t code;
  int err;
  bool corruption;
};

// Codes not listed here map to EIO and are not treated as corruption.
constexpr std::array kTranslations = {
    // Not found / exists / kind.
    Translation{EXT2_ET_FILE_NOT_FOUND, ENOENT, false},
    Translation{EXT2_ET_EA_KEY_NOT_FOUND, ENODATA, false},
    Translation{EXT2_ET_FILE_EXISTS, EEXIST, false},
    Translation{EXT2_ET_DIR_EXISTS, EEXIST, false},
    Translation{EXT2_ET_NO_DIRECTORY, ENOTDIR, false},
    Translation{EXT2_ET_TOO_MANY_REFS, EMLINK, false},
    Translation{EXT2_ET_SYMLINK_LOOP, ELOOP, false},
    // Space.
    Translation{EXT2_ET_BLOCK_ALLOC_FAIL, ENOSPC, false},
    Translation{EXT2_ET_INODE_ALLOC_FAIL, ENOSPC, false},
    Translation{EXT2_ET_DIR_NO_SPACE, ENOSPC, false},
    Translation{EXT2_ET_EA_NO_SPACE, ENOSPC, false},
    Translation{EXT2_ET_INLINE_DATA_NO_SPACE, ENOSPC, false},
    Translation{EXT2_ET_EXTENT_NO_SPACE, ENOSPC, false},
    Translation{EXT2_ET_RES_GDT_BLOCKS, ENOSPC, false},
    Translation{EXT2_ET_TOO_MANY_INODES, ENOSPC, false},
    // Limits and arguments.
    Translation{EXT2_ET_FILE_TOO_BIG, EFBIG, false},
    Translation{EXT2_ET_EA_BAD_NAME_LEN, ERANGE, false},
    Translation{EXT2_ET_EA_BAD_VALUE_SIZE, E2BIG, false},
    Translation{EXT2_ET_INVALID_ARGUMENT, EINVAL, false},
    Translation{EXT2_ET_NO_MEMORY, ENOMEM, false},
    Translation{EXT2_ET_RO_FILSYS, EROFS, false},
    Translation{EXT2_ET_FILE_RO, EROFS, false},
    Translation{EXT2_ET_UNIMPLEMENTED, EOPNOTSUPP, false},
    Translation{EXT2_ET_OP_NOT_SUPPORTED, EOPNOTSUPP, false},
    Translation{EXT2_ET_EXTENT_NOT_SUPPORTED, EOPNOTSUPP, false},
    Translation{EXT2_ET_UNSUPP_FEATURE, EOPNOTSUPP, false},
    Translation{EXT2_ET_RO_UNSUPP_FEATURE, EROFS, false},
    Translation{EXT2_ET_MISSING_EA_FEATURE, EOPNOTSUPP, false},
    Translation{EXT2_ET_NO_INLINE_DATA, ENODATA, false},
    Translation{EXT2_ET_INLINE_DATA_CANT_ITERATE, EINVAL, false},
    // Multiple-mount protection.
    Translation{EXT2_ET_MMP_FAILED, EBUSY, false},
    Translation{EXT2_ET_MMP_FSCK_ON, EBUSY, false},
    Translation{EXT2_ET_MMP_CHANGE_ABORT, EBUSY, false},
    Translation{EXT2_ET_MMP_UNKNOWN_SEQ, EBUSY, false},
    // I/O.
    Translation{EXT2_ET_SHORT_READ, EIO, false},
    Translation{EXT2_ET_SHORT_WRITE, EIO, false},
    Translation{EXT2_ET_LLSEEK_FAILED, EIO, false},
    // Damaged metadata.
    Translation{EXT2_ET_DIR_CORRUPTED, EUCLEAN, true},
    Translation{EXT2_ET_BAD_INODE_NUM, EUCLEAN, true},
    Translation{EXT2_ET_BAD_BLOCK_NUM, EUCLEAN, true},
    Translation{EXT2_ET_BAD_IND_BLOCK, EUCLEAN, true},
    Translation{EXT2_ET_BAD_DIND_BLOCK, EUCLEAN, true},
    Translation{EXT2_ET_BAD_TIND_BLOCK, EUCLEAN, true},
    Translation{EXT2_ET_BAD_EA_BLOCK_NUM, EUCLEAN, true},
    Translation{EXT2_ET_BAD_EA_HASH, EUCLEAN, true},
    Translation{EXT2_ET_BAD_EA_HEADER, EUCLEAN, true},
    Translation{EXT2_ET_EA_BAD_VALUE_OFFSET, EUCLEAN, true},
    Translation{EXT2_ET_EA_INODE_CORRUPTED, EUCLEAN, true},
    Translation{EXT2_ET_EXTENT_HEADER_BAD, EUCLEAN, true},
    Translation{EXT2_ET_EXTENT_INDEX_BAD, EUCLEAN, true},
    Translation{EXT2_ET_EXTENT_LEAF_BAD, EUCLEAN, true},
    Translation{EXT2_ET_EXTENT_CYCLE, EUCLEAN, true},
    Translation{EXT2_ET_INODE_CSUM_INVALID, EUCLEAN, true},
    Translation{EXT2_ET_INODE_BITMAP_CSUM_INVALID, EUCLEAN, true},
    Translation{EXT2_ET_BLOCK_BITMAP_CSUM_INVALID, EUCLEAN, true},
    Translation{EXT2_ET_EXTENT_CSUM_INVALID, EUCLEAN, true},
    Translation{EXT2_ET_DIR_CSUM_INVALID, EUCLEAN, true},
    Translation{EXT2_ET_EXT_ATTR_CSUM_INVALID, EUCLEAN, true},
    Translation{EXT2_ET_SB_CSUM_INVALID, EUCLEAN, true},
    Translation{EXT2_ET_MMP_CSUM_INVALID, EUCLEAN, true},
    Translation{EXT2_ET_INODE_CORRUPTED, EUCLEAN, true},
    Translation{EXT2_ET_INODE_IS_GARBAGE, EUCLEAN, true},
    Translation{EXT2_ET_FILESYSTEM_CORRUPTED, EUCLEAN, true},
    Translation{EXT2_ET_CORRUPT_SUPERBLOCK, EUCLEAN, true},
    Translation{EXT2_ET_RESIZE_INODE_CORRUPT, EUCLEAN, true},
    Translation{EXT2_ET_GDESC_BAD_BLOCK_MAP, EUCLEAN, true},
    Translation{EXT2_ET_GDESC_BAD_INODE_MAP, EUCLEAN, true},
    Translation{EXT2_ET_GDESC_BAD_INODE_TABLE, EUCLEAN, true},
    Translation{EXT2_ET_MISSING_INODE_TABLE, EUCLEAN, true},
    Translation{EXT2_ET_BAD_CRC, EUCLEAN, true},
    Translation{EXT2_ET_CORRUPT_JOURNAL_SB, EUCLEAN, true},
};

const Translation* Find(errcode_t code) {
  for (const Translation& t : kTranslations) {
    if (t.code == code) {
      return &t;
    }
  }
  return nullptr;
}

// EXT4_ERR_* (the kernel's fs/ext4/ext4.h; not in e2fsprogs' headers).
// EFSBADCRC is EBADMSG and EFSCORRUPTED is EUCLEAN in the kernel.
struct Ext4Err {
  int err;
  uint8_t code;
};
constexpr uint8_t kExt4ErrUnknown = 1;
constexpr uint8_t kExt4ErrBadCrc = 4;
constexpr std::array kExt4Errs = {
    Ext4Err{EIO, 2},        Ext4Err{ENOMEM, 3},     Ext4Err{EBADMSG, 4},
    Ext4Err{EUCLEAN, 5},    Ext4Err{ENOSPC, 6},     Ext4Err{ENOKEY, 7},
    Ext4Err{EROFS, 8},      Ext4Err{EFBIG, 9},      Ext4Err{EEXIST, 10},
    Ext4Err{ERANGE, 11},    Ext4Err{EOVERFLOW, 12}, Ext4Err{EBUSY, 13},
    Ext4Err{ENOTDIR, 14},   Ext4Err{ENOTEMPTY, 15}, Ext4Err{ESHUTDOWN, 16},
    Ext4Err{EFAULT, 17},
};

// The libext2fs codes for a checksum that does not match.
constexpr std::array kBadChecksums = {
    EXT2_ET_INODE_CSUM_INVALID,       EXT2_ET_INODE_BITMAP_CSUM_INVALID,
    EXT2_ET_BLOCK_BITMAP_CSUM_INVALID, EXT2_ET_EXTENT_CSUM_INVALID,
    EXT2_ET_DIR_CSUM_INVALID,         EXT2_ET_EXT_ATTR_CSUM_INVALID,
    EXT2_ET_SB_CSUM_INVALID,          EXT2_ET_MMP_CSUM_INVALID,
    EXT2_ET_BAD_CRC,
};

}  // namespace

uint8_t Ext4ErrorCode(const Status& status) {
  for (errcode_t code : kBadChecksums) {
    if (status.errcode() == code) {
      return kExt4ErrBadCrc;
    }
  }
  for (const Ext4Err& e : kExt4Errs) {
    if (e.err == status.err()) {
      return e.code;
    }
  }
  return kExt4ErrUnknown;
}

int ErrnoFromErrcode(errcode_t code) {
  if (code > 0 && code < EXT2_ET_BASE) {
    return static_cast<int>(code);  // a system errno from the I/O layer
  }
  const Translation* t = Find(code);
  return t ? t->err : EIO;
}

bool IsCorruption(errcode_t code) {
  const Translation* t = Find(code);
  return t && t->corruption;
}

Status StatusFromErrcode(errcode_t code, std::string context) {
  return Status::Error(ErrnoFromErrcode(code),
                       std::move(context) + " (" + ErrcodeMessage(code) + ")",
                       code);
}

std::string ErrcodeMessage(errcode_t code) {
  return error_message(code);
}

}  // namespace ext4fh
