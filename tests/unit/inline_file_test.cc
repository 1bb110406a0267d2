// Inline files (EXT4_INLINE_DATA_FL) through the image layer, without a
// mount: the cases FUSE cannot reach (collapse and insert range), running
// out of space, the exact inline capacity, and what each change leaves on
// disk (debugfs). The expected results were measured on Linux 6.18's ext4
// with the same mke2fs options; tests/integration/inline_data_test.cc
// compares the rest with the kernel directly.

#include <gtest/gtest.h>
#include <linux/falloc.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include "image/image.h"
#include "unit/any_claim.h"
#include "testutil/images.h"
#include "testutil/subprocess.h"
#include "testutil/temp_dir.h"

namespace ext4fh {
namespace {


constexpr char kTiny[] = "hello, inline\n";  // 14 bytes

class InlineFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string seed = dir_.Join("seed");
    mkdir(seed.c_str(), 0755);
    std::ofstream(seed + "/tiny") << kTiny;
    std::ofstream(seed + "/hundred") << std::string(100, 'h');
    image_path_ = dir_.Join("fs.img");
    testutil::MakeFs(
        image_path_,
        {"-t", "ext4", "-b", "4096", "-O", "inline_data,metadata_csum,64bit"},
        seed, "32M");
    ImageOptions options;
    options.open.path = image_path_;
    options.open.read_write = true;
    auto image = Image::Open(options);
    ASSERT_TRUE(image.ok()) << image.status().ToString();
    image_ = std::move(*image);
    ASSERT_TRUE(IsInline("tiny"));
  }

  void TearDown() override {
    if (image_) {
      EXPECT_TRUE(image_->Close().ok());
      testutil::CommandResult fsck = testutil::Fsck(image_path_);
      EXPECT_EQ(fsck.exit_code, 0) << fsck.out;
    }
  }

  AnyClaim File(const std::string& name) {
    auto attr = image_->Lookup(AnyClaim(2), name);
    EXPECT_TRUE(attr.ok()) << name << ": " << attr.status().ToString();
    return AnyClaim(attr.ok() ? attr->ino : 0);
  }
  std::string Stat(const std::string& name) {
    return testutil::Run({"debugfs", "-R", "stat /" + name, image_path_}).out;
  }
  bool IsInline(const std::string& name) {
    return Stat(name).find("Size of inline data") != std::string::npos;
  }
  std::string Read(const std::string& name) {
    std::string buf(1 << 16, '\0');
    auto n = image_->Read(File(name), 0, buf);
    EXPECT_TRUE(n.ok()) << n.status().ToString();
    buf.resize(n.ok() ? *n : 0);
    return buf;
  }
  Status Write(const std::string& name,
               uint64_t offset,
               const std::string& data) {
    auto n = image_->Write(File(name), offset, data, root_);
    if (n.ok()) {
      EXPECT_EQ(*n, data.size());
    }
    return n.status();
  }
  Status Truncate(const std::string& name, uint64_t size) {
    AttrChange change;
    change.size = size;
    return image_->SetAttr(File(name), change, root_).status();
  }

  testutil::TempDir dir_;
  std::string image_path_;
  std::unique_ptr<Image> image_;
  Credentials root_{0, 0, {}};
};

TEST_F(InlineFileTest, CollapseRangeConvertsTheFileThenRefuses) {
  // ext4_fallocate converts first; the range then reaches EOF: EINVAL.
  Status st =
      image_->Fallocate(File("tiny"), FALLOC_FL_COLLAPSE_RANGE, 0, 4096);
  EXPECT_EQ(st.err(), EINVAL) << st.ToString();
  EXPECT_FALSE(IsInline("tiny"));
  EXPECT_NE(Stat("tiny").find("Blockcount: 8"), std::string::npos)
      << Stat("tiny");
  EXPECT_EQ(Read("tiny"), kTiny);
}

TEST_F(InlineFileTest, InsertRangeConvertsTheFileThenShiftsIt) {
  Status st = image_->Fallocate(File("tiny"), FALLOC_FL_INSERT_RANGE, 0, 4096);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(Read("tiny"), std::string(4096, '\0') + kTiny);
  auto hole = image_->Bmap(File("tiny"), 0);
  auto data = image_->Bmap(File("tiny"), 1);
  ASSERT_TRUE(hole.ok() && data.ok());
  EXPECT_EQ(*hole, 0u);  // the kernel leaves block 0 a hole too
  EXPECT_NE(*data, 0u);
}

TEST_F(InlineFileTest, DataStaysInlineUpToTheRoomInTheInode) {
  // 256-byte inodes: 60 bytes in i_block and 68 in system.data.
  ASSERT_TRUE(Write("tiny", 120, std::string(8, 'a')).ok());
  EXPECT_TRUE(IsInline("tiny"));
  EXPECT_NE(Stat("tiny").find("system.data (68)"), std::string::npos);
  ASSERT_TRUE(Write("tiny", 128, "b").ok());
  EXPECT_FALSE(IsInline("tiny"));
  std::string want = kTiny + std::string(120 - 14, '\0') + "aaaaaaaab";
  EXPECT_EQ(Read("tiny"), want);
}

TEST_F(InlineFileTest, OtherXattrsInTheInodeLeaveLessRoom) {
  // user.a with 10 bytes takes 32 of the inode's xattr space: 96 bytes
  // of data fit, 97 do not (as with the kernel).
  ASSERT_TRUE(
      image_->SetXattr(File("tiny"), "user.a", "0123456789", 0, root_).ok());
  ASSERT_TRUE(Write("tiny", 14, std::string(96 - 14, 'c')).ok());
  EXPECT_TRUE(IsInline("tiny"));
  ASSERT_TRUE(Write("tiny", 96, "d").ok());
  EXPECT_FALSE(IsInline("tiny"));
  EXPECT_EQ(Read("tiny"), kTiny + std::string(96 - 14, 'c') + "d");
  auto value = image_->GetXattr(File("tiny"), "user.a");
  ASSERT_TRUE(value.ok());
  EXPECT_EQ(*value, "0123456789");
}

TEST_F(InlineFileTest, TruncatesKeepTheKernelsShape) {
  ASSERT_TRUE(Truncate("hundred", 70).ok());
  EXPECT_NE(Stat("hundred").find("system.data (10)"), std::string::npos);
  ASSERT_TRUE(Truncate("hundred", 0).ok());
  EXPECT_NE(Stat("hundred").find("system.data (0)"), std::string::npos);
  EXPECT_TRUE(IsInline("hundred"));
  ASSERT_TRUE(Truncate("tiny", 60).ok());  // within i_block
  EXPECT_TRUE(IsInline("tiny"));
  EXPECT_EQ(Read("tiny"), kTiny + std::string(60 - 14, '\0'));
  ASSERT_TRUE(Truncate("tiny", 61).ok());  // past what the inode holds
  EXPECT_FALSE(IsInline("tiny"));
  EXPECT_EQ(Read("tiny"), kTiny + std::string(61 - 14, '\0'));
}

TEST_F(InlineFileTest, AFullFilesystemRefusesOnlyWhatNeedsABlock) {
  auto big = image_->Make(AnyClaim(2), "big", NewNode{S_IFREG | 0644, 0, 0, {}},
                          root_);
  ASSERT_TRUE(big.ok()) << big.status().ToString();
  std::string chunk(1 << 20, 'x');
  Status st;
  for (uint64_t off = 0; st.ok(); off += chunk.size()) {
    st = image_->Write(AnyClaim(big->ino), off, chunk, root_).status();
  }
  ASSERT_EQ(st.err(), ENOSPC) << st.ToString();
  // Moving to a block needs one: refused, and nothing changed.
  EXPECT_EQ(Write("tiny", 0, std::string(200, 'e')).err(), ENOSPC);
  EXPECT_TRUE(IsInline("tiny"));
  EXPECT_EQ(Read("tiny"), kTiny);
  // Staying inline needs none.
  ASSERT_TRUE(Write("tiny", 14, "still fits").ok());
  EXPECT_TRUE(IsInline("tiny"));
  EXPECT_EQ(Read("tiny"), std::string(kTiny) + "still fits");
  // So does the first short write to a new file.
  auto made = image_->Make(AnyClaim(2), "new",
                           NewNode{S_IFREG | 0644, 0, 0, {}}, root_);
  ASSERT_TRUE(made.ok()) << made.status().ToString();
  ASSERT_TRUE(Write("new", 0, "short").ok());
  EXPECT_TRUE(IsInline("new"));
  EXPECT_EQ(Write("new", 0, std::string(5000, 'g')).err(), ENOSPC);
  EXPECT_EQ(Read("new"), "short");
}

TEST_F(InlineFileTest, AFreedInlineFileLeavesNothingBehind) {
  ASSERT_TRUE(Write("hundred", 0, std::string(120, 'f')).ok());
  auto gone = image_->Unlink(AnyClaim(2), "hundred", false);
  ASSERT_TRUE(gone.ok()) << gone.status().ToString();
  // TearDown closes the image (freeing the orphan) and runs e2fsck.
}

}  // namespace
}  // namespace ext4fh
