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

}  // namespace

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
