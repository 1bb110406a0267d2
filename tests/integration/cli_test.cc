// `ext4fh IMAGE MOUNTPOINT` end to end: bad input gets one clear line on
// stderr and a documented exit code, with nothing mounted and nothing
// written; good input mounts in the background and unmounts cleanly.

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>

#include "testutil/images.h"
#include "testutil/mounts.h"
#include "testutil/run_as.h"
#include "testutil/subprocess.h"
#include "testutil/temp_dir.h"

namespace ext4fh {
namespace {

using ::testing::HasSubstr;
using testutil::CommandResult;
using testutil::Ext4fhBinary;

std::string Sha256(const std::string& path) {
  return testutil::Run({"sha256sum", path}).out.substr(0, 64);
}

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testutil::FuseAvailable()) {
      GTEST_SKIP() << "needs /dev/fuse";
    }
    image_ = dir_.Join("fs.img");
    testutil::MakeFs(image_, {"-t", "ext4"}, "", "32M");
    mnt_ = dir_.Join("mnt");
    ASSERT_EQ(mkdir(mnt_.c_str(), 0755), 0);
    image_hash_ = Sha256(image_);
  }

  // Background mounts are not Ext4fhMounts: undo them whatever the test
  // did. Then the image must be clean.
  void TearDown() override {
    if (mnt_.empty()) return;
    testutil::UnmountDetached(mnt_);
    CommandResult fsck = testutil::Fsck(image_);
    EXPECT_EQ(fsck.exit_code, 0) << fsck.out;
  }

  // Runs ext4fh with `args` in the foreground and expects it to fail with
  // `code`, one line on stderr containing `message`, no mount, and the image
  // unchanged.
  void ExpectRefused(std::vector<std::string> args, int code,
                     const std::string& message) {
    args.insert(args.begin(), Ext4fhBinary());
    CommandResult r = testutil::Run(args, 60);
    EXPECT_EQ(r.exit_code, code) << r.err;
    EXPECT_THAT(r.err, HasSubstr(message));
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_FALSE(testutil::IsMounted(mnt_));
    EXPECT_EQ(Sha256(image_), image_hash_) << "the image was written";
  }

  testutil::TempDir dir_;
  std::string image_, mnt_, image_hash_;
};

TEST_F(CliTest, UnknownOptionIsUsageError) {
  ExpectRefused({"-o", "frob", image_, mnt_}, 2, "unknown mount option");
  ExpectRefused({"--frob", image_, mnt_}, 2, "frob");
}

TEST_F(CliTest, BadValueIsUsageError) {
  ExpectRefused({"-o", "attr_timeout=x", image_, mnt_}, 2, "attr_timeout");
  ExpectRefused({"-o", "errors=maybe", image_, mnt_}, 2, "errors");
  ExpectRefused({"-o", "offset=-4", image_, mnt_}, 2, "offset");
  ExpectRefused({"-o", "crash_limit=0", image_, mnt_}, 2, "crash_limit");
  ExpectRefused({"-o", "crash_window=soon", image_, mnt_}, 2, "crash_window");
  ExpectRefused({"-o", "fsck_hooks=" + dir_.Join("none"), image_, mnt_}, 2,
                "fsck_hooks");
  ExpectRefused({"-o", "nofsck=1", image_, mnt_}, 2, "nofsck");
  ExpectRefused({image_}, 2, "missing");
}

TEST_F(CliTest, MissingImage) {
  ExpectRefused({dir_.Join("nope.img"), mnt_}, 3, "No such file");
}

TEST_F(CliTest, UnreadableImage) {
  ASSERT_EQ(chmod(image_.c_str(), 0600), 0);
  ASSERT_EQ(chmod(dir_.path().c_str(), 0755), 0);
  std::string out = testutil::RunAs(testutil::kNobody, testutil::kNobody, [&] {
    CommandResult r = testutil::Run({Ext4fhBinary(), "-o", "ro", image_, mnt_});
    return std::to_string(r.exit_code) + "|" + r.err;
  });
  EXPECT_THAT(out, HasSubstr("3|"));
  EXPECT_THAT(out, HasSubstr("Permission denied"));
  EXPECT_FALSE(testutil::IsMounted(mnt_));
}

TEST_F(CliTest, NotAnExtFilesystem) {
  std::string junk = dir_.Join("junk.img");
  std::ofstream(junk) << std::string(1 << 20, 'j');
  ExpectRefused({junk, mnt_}, 3, "not an ext2/ext3/ext4 filesystem");
}

TEST_F(CliTest, UnsupportedFeature) {
  std::string enc = dir_.Join("enc.img");
  testutil::MakeFs(enc, {"-t", "ext4", "-O", "encrypt"}, "", "32M");
  ExpectRefused({enc, mnt_}, 3, "encrypt");
}

TEST_F(CliTest, FilesystemWithErrorsIsRefusedWithoutFsckHooks) {
  testutil::Run({"debugfs", "-w", "-R", "ssv state 3", image_});
  image_hash_ = Sha256(image_);
  ExpectRefused({"-o", "nofsck", image_, mnt_}, 3, "e2fsck");
}

// Writes an executable hook `name` into a new hooks directory `dir`.
std::string WriteHook(testutil::TempDir& tmp, const std::string& dir,
                      const std::string& name, const std::string& body) {
  std::string hooks = tmp.Join(dir);
  mkdir(hooks.c_str(), 0755);
  std::string path = hooks + "/" + name;
  std::ofstream(path) << "#!/bin/sh\n" << body << "\n";
  chmod(path.c_str(), 0755);
  return hooks;
}

std::string SuperblockState(const std::string& image) {
  return testutil::Shell("dumpe2fs -h " + image +
                         " 2>/dev/null | sed -n 's/^Filesystem state: *//p'")
      .out;
}

TEST_F(CliTest, ShippedHookRepairsImageWithErrorsBeforeMounting) {
  testutil::Run({"debugfs", "-w", "-R", "ssv state 3", image_});
  std::string env_file = dir_.Join("env");
  std::string hooks = WriteHook(dir_, "hooks", "50-record",
                                "env | grep ^EXT4FH_ | sort > " + env_file);
  CommandResult r = testutil::Run(
      {Ext4fhBinary(), "-o", "fsck_hooks=" + hooks, image_, mnt_}, 60);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("e2fsck -p"));
  std::ifstream in(env_file);
  std::string env((std::istreambuf_iterator<char>(in)), {});
  EXPECT_THAT(env, HasSubstr("EXT4FH_IMAGE=" + image_ + "\n"));
  EXPECT_THAT(env, HasSubstr("EXT4FH_MOUNTPOINT=" + mnt_ + "\n"));
  EXPECT_THAT(env, HasSubstr("EXT4FH_REASON=unclean\n"));
  // The shipped hook ran first and repaired what the state said.
  EXPECT_THAT(env, HasSubstr("EXT4FH_IMAGE_STATE=clean\n"));
  std::ofstream(mnt_ + "/written") << "after repair";
  EXPECT_TRUE(testutil::UnmountDetached(mnt_));
  EXPECT_EQ(testutil::Run({"e2fsck", "-fn", image_}).exit_code, 0);
  EXPECT_THAT(SuperblockState(image_), HasSubstr("clean"));
}

TEST_F(CliTest, HookThatSaysStopRefusesTheMount) {
  testutil::Run({"debugfs", "-w", "-R", "ssv state 0", image_});
  std::string hooks = WriteHook(dir_, "hooks", "50-stop", "echo no; exit 2");
  CommandResult r = testutil::Run({Ext4fhBinary(), "-o", "nofsck", "-o",
                                   "fsck_hooks=" + hooks, image_, mnt_},
                                  60);
  // nofsck wins: no hook runs, and a not-clean image mounts as the kernel's
  // would.
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(testutil::UnmountDetached(mnt_));
  testutil::Run({"debugfs", "-w", "-R", "ssv state 0", image_});
  r = testutil::Run({Ext4fhBinary(), "-o", "fsck_hooks=" + hooks, image_, mnt_},
                    60);
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_THAT(r.err, HasSubstr("fsck hook 50-stop: no"));
  EXPECT_THAT(r.err, HasSubstr("an fsck hook stopped the mount"));
  EXPECT_FALSE(testutil::IsMounted(mnt_));
}

TEST_F(CliTest, HookThatSaysReadOnlyMountsReadOnly) {
  testutil::Run({"debugfs", "-w", "-R", "ssv state 0", image_});
  std::string hooks = WriteHook(dir_, "hooks", "50-ro", "exit 1");
  CommandResult r = testutil::Run(
      {Ext4fhBinary(), "-o", "fsck_hooks=" + hooks, image_, mnt_}, 60);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  int fd = open((mnt_ + "/new").c_str(), O_CREAT | O_WRONLY, 0644);
  EXPECT_EQ(fd, -1);
  EXPECT_EQ(errno, EROFS);
  EXPECT_TRUE(testutil::UnmountDetached(mnt_));
}

TEST_F(CliTest, MountpointMissingOrNotADirectory) {
  ExpectRefused({image_, dir_.Join("nowhere")}, 4, "No such file");
  std::string file = dir_.Join("file");
  std::ofstream(file) << "x";
  ExpectRefused({image_, file}, 4, "not a directory");
}

TEST_F(CliTest, MountpointAlreadyMounted) {
  std::string other = dir_.Join("other.img");
  testutil::MakeFs(other, {"-t", "ext4"}, "", "32M");
  std::string error;
  auto first = testutil::Ext4fhMount::Start(other, mnt_, {}, &error);
  ASSERT_NE(first, nullptr) << error;
  CommandResult r = testutil::Run({Ext4fhBinary(), image_, mnt_});
  EXPECT_EQ(r.exit_code, 4) << r.err;
  EXPECT_THAT(r.err, HasSubstr("already mounted"));
  EXPECT_EQ(first->Unmount(), 0);
}

TEST_F(CliTest, SecondMountOfTheSameImageIsRefused) {
  std::string error;
  auto first = testutil::Ext4fhMount::Start(image_, mnt_, {}, &error);
  ASSERT_NE(first, nullptr) << error;
  std::string mnt2 = dir_.Join("mnt2");
  ASSERT_EQ(mkdir(mnt2.c_str(), 0755), 0);
  CommandResult r = testutil::Run({Ext4fhBinary(), image_, mnt2});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_THAT(r.err, HasSubstr("in use"));
  EXPECT_FALSE(testutil::IsMounted(mnt2));
  EXPECT_EQ(first->Unmount(), 0);
}

TEST_F(CliTest, KernelLoopMountOfTheImageIsDetected) {
  if (!testutil::KernelMountAvailable()) {
    GTEST_SKIP() << "needs loop devices";
  }
  std::string kmnt = dir_.Join("kernel");
  ASSERT_EQ(mkdir(kmnt.c_str(), 0755), 0);
  std::string error;
  auto kernel = testutil::KernelMount::Start(image_, kmnt, true, &error);
  ASSERT_NE(kernel, nullptr) << error;
  CommandResult r = testutil::Run({Ext4fhBinary(), "-o", "ro", image_, mnt_});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_THAT(r.err, HasSubstr("in use"));
  EXPECT_FALSE(testutil::IsMounted(mnt_));
  EXPECT_TRUE(kernel->Unmount());
}

TEST_F(CliTest, BackgroundMountReturnsWhenReadyAndUnmountEndsIt) {
  CommandResult r = testutil::Run({Ext4fhBinary(), "-o", "ro", image_, mnt_});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(testutil::IsMounted(mnt_)) << "mounted when ext4fh returns";
  struct stat st {};
  EXPECT_EQ(stat((mnt_ + "/lost+found").c_str(), &st), 0);
  std::string keeper =
      testutil::Run({"pgrep", "-f", "-x", Ext4fhBinary() + " -o ro " + image_ + " " + mnt_})
          .out;
  EXPECT_FALSE(keeper.empty());
  EXPECT_TRUE(testutil::UnmountDetached(mnt_))
      << "keeper and server exit after unmount";
  EXPECT_FALSE(testutil::IsMounted(mnt_));
}

TEST_F(CliTest, HelpAndVersion) {
  CommandResult help = testutil::Run({Ext4fhBinary(), "--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_THAT(help.out, HasSubstr("Usage: ext4fh"));
  CommandResult version = testutil::Run({Ext4fhBinary(), "--version"});
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_THAT(version.out, HasSubstr("ext4fh "));
}

}  // namespace
}  // namespace ext4fh
