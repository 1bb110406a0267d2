// The errcode_t -> errno table (image/errcode.h).

#include "image/errcode.h"

#include <gtest/gtest.h>

namespace ext4fh {
namespace {

struct Case {
  errcode_t code;
  int err;
  bool corruption;
};

class ErrcodeTest : public ::testing::TestWithParam<Case> {};

TEST_P(ErrcodeTest, TranslatesAndClassifies) {
  const Case& c = GetParam();
  EXPECT_EQ(ErrnoFromErrcode(c.code), c.err) << ErrcodeMessage(c.code);
  EXPECT_EQ(IsCorruption(c.code), c.corruption) << ErrcodeMessage(c.code);
  Status st = StatusFromErrcode(c.code, "ctx");
  EXPECT_FALSE(st.ok());
  EXPECT_EQ(st.err(), c.err);
}

INSTANTIATE_TEST_SUITE_P(
    Table, ErrcodeTest,
    ::testing::Values(
        // What a user can cause gets the kernel's errno.
        Case{EXT2_ET_FILE_NOT_FOUND, ENOENT, false},
        Case{EXT2_ET_FILE_EXISTS, EEXIST, false},
        Case{EXT2_ET_NO_DIRECTORY, ENOTDIR, false},
        Case{EXT2_ET_TOO_MANY_REFS, EMLINK, false},
        Case{EXT2_ET_BLOCK_ALLOC_FAIL, ENOSPC, false},
        Case{EXT2_ET_INODE_ALLOC_FAIL, ENOSPC, false},
        Case{EXT2_ET_DIR_NO_SPACE, ENOSPC, false},
        Case{EXT2_ET_EA_NO_SPACE, ENOSPC, false},
        Case{EXT2_ET_FILE_TOO_BIG, EFBIG, false},
        Case{EXT2_ET_EA_KEY_NOT_FOUND, ENODATA, false},
        Case{EXT2_ET_RO_FILSYS, EROFS, false},
        Case{EXT2_ET_NO_MEMORY, ENOMEM, false},
        Case{EXT2_ET_UNIMPLEMENTED, EOPNOTSUPP, false},
        Case{EXT2_ET_MMP_FAILED, EBUSY, false},
        Case{EXT2_ET_SHORT_READ, EIO, false},
        // Damage is EUCLEAN, and marks the image for fsck.
        Case{EXT2_ET_DIR_CORRUPTED, EUCLEAN, true},
        Case{EXT2_ET_EXTENT_HEADER_BAD, EUCLEAN, true},
        Case{EXT2_ET_INODE_CSUM_INVALID, EUCLEAN, true},
        Case{EXT2_ET_BLOCK_BITMAP_CSUM_INVALID, EUCLEAN, true},
        Case{EXT2_ET_BAD_EA_HEADER, EUCLEAN, true},
        // System errnos pass through.
        Case{EACCES, EACCES, false}, Case{EIO, EIO, false},
        Case{ENOSPC, ENOSPC, false},
        // An unknown libext2fs code is an I/O error, not success.
        Case{EXT2_ET_BASE + 4000, EIO, false}));

// The superblock's error codes, as the kernel's ext4_errno_to_code gives
// them (EXT4_ERR_*: dumpe2fs shows 4 as EFSBADCRC, 5 as EFSCORRUPTED).
TEST(Ext4ErrorCode, MapsLikeTheKernel) {
  EXPECT_EQ(Ext4ErrorCode(StatusFromErrcode(EXT2_ET_DIR_CSUM_INVALID, "")), 4);
  EXPECT_EQ(Ext4ErrorCode(StatusFromErrcode(EXT2_ET_INODE_CSUM_INVALID, "")), 4);
  EXPECT_EQ(Ext4ErrorCode(StatusFromErrcode(EXT2_ET_DIR_CORRUPTED, "")), 5);
  EXPECT_EQ(Ext4ErrorCode(Status::Error(EUCLEAN)), 5);
  EXPECT_EQ(Ext4ErrorCode(Status::Error(EBADMSG)), 4);
  EXPECT_EQ(Ext4ErrorCode(Status::Error(EIO)), 2);
  EXPECT_EQ(Ext4ErrorCode(Status::Error(ENOSPC)), 6);
  EXPECT_EQ(Ext4ErrorCode(Status::Error(EFAULT)), 17);
  EXPECT_EQ(Ext4ErrorCode(Status::Error(EACCES)), 1) << "EXT4_ERR_UNKNOWN";
}

}  // namespace
}  // namespace ext4fh
