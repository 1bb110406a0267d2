// stress-ng's filesystem stressors on an ext4fh mount, a short run each:
// none may report a failure, and the image must be clean afterwards.
// Left out: stressors for features a FUSE mount cannot have (fiemap,
// verity, binderfs, bind mounts).

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "testutil/images.h"
#include "testutil/mounts.h"
#include "testutil/subprocess.h"
#include "testutil/temp_dir.h"

namespace ext4fh {
namespace {

constexpr const char* kStressors[] = {
    "access",   "chattr",   "chdir",    "chmod",     "chown",  "copy-file",
    "dentry",   "dir",      "dirdeep",  "dirmany",   "dnotify", "dup",
    "eventfd",  "fallocate", "fanotify", "fcntl",    "file-ioctl", "filename",
    "flock",    "fpunch",   "fsize",    "fstat",     "getdent", "handle",
    "hdd",      "inode-flags", "inotify", "io",      "iomix",  "ioprio",
    "lease",    "link",     "locka",    "lockf",     "lockofd", "mknod",
    "open",     "procfs",   "rename",   "symlink",   "sync-file", "touch",
    "utime",    "xattr"};

class StressTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testutil::FuseAvailable() ||
        testutil::Run({"stress-ng", "--version"}).exit_code != 0) {
      GTEST_SKIP() << "needs /dev/fuse and stress-ng";
    }
  }
};

TEST_F(StressTest, FilesystemStressorsPassAndLeaveACleanImage) {
  testutil::TempDir dir;
  chmod(dir.path().c_str(), 0755);
  std::string image = dir.Join("fs.img");
  testutil::MakeFs(image, {"-t", "ext4"}, "", "4G");  // room for iomix
  std::string mnt = dir.Join("mnt");
  mkdir(mnt.c_str(), 0755);
  std::string error;
  auto fuse = testutil::Ext4fhMount::Start(
      image, mnt, {"-o", "allow_other,default_permissions"}, &error);
  ASSERT_NE(fuse, nullptr) << error;
  chmod(mnt.c_str(), 01777);
  for (const char* stressor : kStressors) {
    testutil::CommandResult r = testutil::Run(
        {"stress-ng", std::string("--") + stressor, "2", "--timeout", "1s",
         "--temp-path", mnt, "--metrics-brief"},
        120);
    EXPECT_EQ(r.exit_code, 0) << stressor << ":\n" << r.out << r.err;
    EXPECT_THAT(r.out + r.err, ::testing::Not(::testing::HasSubstr("fail:")))
        << stressor;
    EXPECT_THAT(r.out + r.err, ::testing::Not(::testing::HasSubstr("skipping")))
        << stressor << " did not run";
  }
  EXPECT_EQ(fuse->Unmount(), 0);
  testutil::CommandResult fsck = testutil::Fsck(image);
  EXPECT_EQ(fsck.exit_code, 0) << fsck.out;
}

}  // namespace
}  // namespace ext4fh
