// What Image::Open refuses, and the reason it gives.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

#include "image/image.h"
#include "testutil/images.h"
#include "testutil/subprocess.h"
#include "testutil/temp_dir.h"

namespace ext4fh {
namespace {

using ::testing::HasSubstr;
using testutil::MakeFs;

using testutil::TempDir;

Result<std::unique_ptr<Image>> Open(const std::string& path, bool rw,
                                    bool write_required = false) {
  ImageOptions options;
  options.open.path = path;
  options.open.read_write = rw;
  options.write_required = write_required;
  return Image::Open(options);
}

class ImageOpenTest : public ::testing::Test {
 protected:
  std::string Make(const std::vector<std::string>& args) {
    std::string path = dir_.Join("fs" + std::to_string(n_++) + ".img");
    MakeFs(path, args, "", "32M");
    return path;
  }
  void Debugfs(const std::string& image, const std::string& cmd) {
    testutil::CommandResult r = testutil::Run({"debugfs", "-w", "-R", cmd, image});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  TempDir dir_;
  int n_ = 0;
};

TEST_F(ImageOpenTest, OpensAPlainImageReadWrite) {
  Result<std::unique_ptr<Image>> image = Open(Make({"-t", "ext4"}), true);
  ASSERT_TRUE(image.ok()) << image.status().ToString();
  EXPECT_FALSE((*image)->read_only());
}

TEST_F(ImageOpenTest, RefusesAMissingFile) {
  Result<std::unique_ptr<Image>> image = Open(dir_.Join("missing.img"), false);
  EXPECT_EQ(image.err(), ENOENT);
  EXPECT_THAT(image.status().context(), HasSubstr("missing.img"));
}

TEST_F(ImageOpenTest, RefusesSomethingThatIsNotExt) {
  std::string path = dir_.Join("zeros.img");
  std::ofstream(path) << std::string(1 << 20, 'x');
  Result<std::unique_ptr<Image>> image = Open(path, false);
  ASSERT_FALSE(image.ok());
  EXPECT_THAT(image.status().context(), HasSubstr("not an ext2/ext3/ext4"));
}

TEST_F(ImageOpenTest, RefusesATruncatedImage) {
  std::string path = Make({"-t", "ext4"});
  ASSERT_EQ(truncate(path.c_str(), 4096), 0);
  Result<std::unique_ptr<Image>> image = Open(path, false);
  ASSERT_FALSE(image.ok());
  EXPECT_THAT(image.status().context(), HasSubstr(path));
}

TEST_F(ImageOpenTest, RefusesIncompatFeaturesItCannotRead) {
  for (const char* feature : {"encrypt", "casefold"}) {
    std::string path = Make({"-t", "ext4", "-O", feature});
    Result<std::unique_ptr<Image>> image = Open(path, false);
    ASSERT_FALSE(image.ok()) << feature;
    EXPECT_THAT(image.status().context(), HasSubstr(feature));
  }
}

TEST_F(ImageOpenTest, RefusesVerity) {
  std::string path = Make({"-t", "ext4", "-O", "verity"});
  Result<std::unique_ptr<Image>> image = Open(path, false);
  ASSERT_FALSE(image.ok());
  EXPECT_THAT(image.status().context(), HasSubstr("verity"));
}

TEST_F(ImageOpenTest, RefusesUnknownIncompatBits) {
  std::string path = Make({"-t", "ext4"});
  Debugfs(path, "ssv feature_incompat 0x80000242");
  Result<std::unique_ptr<Image>> image = Open(path, false);
  ASSERT_FALSE(image.ok());
  EXPECT_THAT(image.status().context(), HasSubstr("unsupported"));
}

// An ro_compat feature nobody knows may change what a reader must check
// (as verity does), so it is refused like an unknown incompat one.
TEST_F(ImageOpenTest, RefusesUnknownRoCompatBits) {
  std::string path = Make({"-t", "ext4"});
  Debugfs(path, "feature FEATURE_R30");
  for (bool read_write : {false, true}) {
    Result<std::unique_ptr<Image>> image = Open(path, read_write);
    ASSERT_FALSE(image.ok());
    EXPECT_THAT(image.status().context(), HasSubstr("unsupported"));
    EXPECT_THAT(image.status().context(), HasSubstr("FEATURE_R30"));
  }
}

TEST_F(ImageOpenTest, RefusesAFilesystemWithErrors) {
  std::string path = Make({"-t", "ext4"});
  Debugfs(path, "ssv state 3");
  Result<std::unique_ptr<Image>> image = Open(path, false);
  ASSERT_FALSE(image.ok());
  EXPECT_THAT(image.status().context(), HasSubstr("e2fsck"));
}

// Without -o errors=, the superblock's s_errors (tune2fs -e) decides; the
// kernel takes an unset or unknown value as remount-ro.
TEST_F(ImageOpenTest, ErrorsPolicyComesFromTheSuperblock) {
  std::string path = Make({"-t", "ext4"});
  const std::vector<std::pair<int, ErrorsPolicy>> kCases = {
      {0, ErrorsPolicy::kRemountRo}, {1, ErrorsPolicy::kContinue},
      {2, ErrorsPolicy::kRemountRo}, {3, ErrorsPolicy::kPanic},
      {9, ErrorsPolicy::kRemountRo}};
  for (const auto& [s_errors, policy] : kCases) {
    Debugfs(path, "ssv errors " + std::to_string(s_errors));
    Result<std::unique_ptr<Image>> image = Open(path, false);
    ASSERT_TRUE(image.ok()) << image.status().ToString();
    EXPECT_EQ((*image)->errors_policy(), policy) << "s_errors " << s_errors;
  }
}

TEST_F(ImageOpenTest, ErrorsOptionOverridesTheSuperblock) {
  std::string path = Make({"-t", "ext4"});
  Debugfs(path, "ssv errors 3");
  ImageOptions options;
  options.open.path = path;
  options.errors = ErrorsPolicy::kContinue;
  Result<std::unique_ptr<Image>> image = Image::Open(options);
  ASSERT_TRUE(image.ok()) << image.status().ToString();
  EXPECT_EQ((*image)->errors_policy(), ErrorsPolicy::kContinue);
}

TEST_F(ImageOpenTest, JournalNeedingRecoveryBlocksOnlyReadWrite) {
  std::string path = Make({"-t", "ext3"});
  Debugfs(path, "feature needs_recovery");
  Result<std::unique_ptr<Image>> rw = Open(path, true);
  ASSERT_FALSE(rw.ok());
  EXPECT_THAT(rw.status().context(), HasSubstr("journal needs recovery"));
  EXPECT_TRUE(Open(path, false).ok());
}

TEST_F(ImageOpenTest, UnwritableRoCompatFeatureMeansReadOnly) {
  std::string path = Make({"-t", "ext4", "-O", "quota"});
  Result<std::unique_ptr<Image>> image = Open(path, true);
  ASSERT_TRUE(image.ok()) << image.status().ToString();
  EXPECT_TRUE((*image)->read_only());
  Result<std::unique_ptr<Image>> required = Open(path, true, true);
  ASSERT_FALSE(required.ok());
  EXPECT_EQ(required.err(), EROFS);
  EXPECT_THAT(required.status().context(), HasSubstr("quota"));
}

TEST_F(ImageOpenTest, ServesAtAnOffset) {
  std::string fs = Make({"-t", "ext4"});
  std::string disk = dir_.Join("disk.img");
  ASSERT_EQ(testutil::Run({"sh", "-c", "dd if=/dev/zero of=" + disk +
                     " bs=1M count=1 status=none && cat " + fs + " >> " +
                     disk}).exit_code,
            0);
  ImageOptions options;
  options.open.path = disk;
  options.open.offset = 1 << 20;
  EXPECT_TRUE(Image::Open(options).ok());
  options.open.offset = 0;
  EXPECT_FALSE(Image::Open(options).ok());
}

}  // namespace
}  // namespace ext4fh
