// images/demo.sh, the end of README command (a), run as root: it builds the
// demo image, mounts it in the background, reads, writes note.txt,
// unmounts with fusermount3 -u and checks the image. Nothing may be left:
// no mount and no keeper. (The same as an unprivileged user is in
// unprivileged_test.cc.)

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <sstream>
#include <thread>

#include "testutil/images.h"
#include "testutil/mounts.h"
#include "testutil/subprocess.h"
#include "testutil/temp_dir.h"

namespace ext4fh {
namespace {

using ::testing::HasSubstr;
using testutil::CommandResult;

class DemoTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testutil::FuseAvailable()) {
      GTEST_SKIP() << "needs /dev/fuse and fusermount3";
    }
    build_ = dir_.Join("build");
    mnt_ = build_ + "/demo-mnt";
    ASSERT_EQ(mkdir(build_.c_str(), 0755), 0);
    ASSERT_EQ(
        symlink(testutil::Ext4fhBinary().c_str(), (build_ + "/ext4fh").c_str()),
        0);
  }

  // Whatever happened: unmount, then end the demo's keeper by pid.
  void TearDown() override {
    if (mnt_.empty()) {
      return;
    }
    if (testutil::IsMounted(mnt_)) {
      testutil::Run({"fusermount3", "-u", "-z", mnt_}, 10);
    }
    for (pid_t pid : testutil::ProcessesWith(build_)) {
      kill(pid, SIGKILL);
    }
  }

  testutil::TempDir dir_;
  std::string build_, mnt_;
};

TEST_F(DemoTest, RunsAsRoot) {
  CommandResult r =
      testutil::Run({testutil::SourceDir() + "/images/demo.sh", build_}, 120);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("Welcome to ext4fh!"));
  EXPECT_THAT(r.out, HasSubstr("fuseblk.ext4fh rw,nosuid,nodev"));
  EXPECT_THAT(r.out, HasSubstr("user.comment=\"hello from an xattr\""));
  EXPECT_THAT(r.out, HasSubstr("written through ext4fh"));
  EXPECT_THAT(r.out, HasSubstr("state: serving"));
  EXPECT_THAT(r.out, HasSubstr("ext4fh-demo: "));  // e2fsck's summary

  for (int i = 0; i < 100 && !testutil::ProcessesWith(build_).empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(testutil::ProcessesWith(build_).empty()) << "the keeper is still running";
  EXPECT_FALSE(testutil::IsMounted(mnt_));
  CommandResult fsck = testutil::Fsck(build_ + "/demo.img");
  EXPECT_EQ(fsck.exit_code, 0) << fsck.out;
  CommandResult note =
      testutil::Run({"debugfs", "-R", "cat /note.txt", build_ + "/demo.img"});
  EXPECT_EQ(note.out, "written through ext4fh\n");
}

}  // namespace
}  // namespace ext4fh
