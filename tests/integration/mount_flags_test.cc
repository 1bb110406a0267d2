// `-o nosuid,nodev,noexec` (and suid, dev, exec) reach the kernel: they show
// in /proc/mounts and in statvfs, and the kernel enforces them: execve on a
// noexec mount fails with EACCES, a device node on a nodev mount cannot be
// opened. Without options a FUSE mount is nosuid,nodev (as libfuse does);
// suid and dev clear that (root only; for users see unprivileged_test.cc).

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <set>
#include <sstream>

#include "testutil/images.h"
#include "testutil/mounts.h"
#include "testutil/temp_dir.h"

namespace ext4fh {
namespace {

// The comma-separated options of `mountpoint` in /proc/self/mounts.
std::set<std::string> MountOptions(const std::string& mountpoint) {
  std::ifstream in("/proc/self/mounts");
  std::string line;
  std::set<std::string> options;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string source, target, type, list;
    fields >> source >> target >> type >> list;
    if (target == mountpoint) {
      std::istringstream items(list);
      std::string item;
      while (std::getline(items, item, ',')) {
        options.insert(item);
      }
    }
  }
  return options;
}

// Executes `path` in a child with no fds of ours. Returns 0 if execve
// succeeded, else its errno.
int ExecErrno(const std::string& path) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    return -1;
  }
  pid_t pid = fork();
  if (pid == 0) {
    int null = open("/dev/null", O_RDWR);
    dup2(null, 0);
    dup2(null, 1);
    dup2(null, 2);
    close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
    execl(path.c_str(), path.c_str(), static_cast<char*>(nullptr));
    int err = errno;
    (void)!write(fds[1], &err, sizeof(err));
    _exit(127);
  }
  close(fds[1]);
  int err = 0;
  ssize_t n = read(fds[0], &err, sizeof(err));
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  return n == sizeof(err) ? err : 0;
}

// errno of open(path, O_RDONLY), or 0.
int OpenErrno(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return errno;
  }
  close(fd);
  return 0;
}

unsigned long StatvfsFlags(const std::string& path) {
  struct statvfs st {};
  return statvfs(path.c_str(), &st) == 0 ? st.f_flag : ~0UL;
}

class MountFlagsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testutil::FuseAvailable()) {
      GTEST_SKIP() << "needs /dev/fuse and fusermount3";
    }
    ASSERT_EQ(geteuid(), 0u) << "needs root (a device node in the image)";
    std::string seed = dir_.Join("seed");
    ASSERT_EQ(mkdir(seed.c_str(), 0755), 0);
    std::ofstream(seed + "/run.sh") << "#!/bin/sh\nexit 0\n";
    ASSERT_EQ(chmod((seed + "/run.sh").c_str(), 0755), 0);
    ASSERT_EQ(mknod((seed + "/null").c_str(), S_IFCHR | 0666, makedev(1, 3)),
              0);
    image_ = dir_.Join("fs.img");
    testutil::MakeFs(image_, {"-t", "ext4"}, seed, "32M");
    mnt_ = dir_.Join("mnt");
    ASSERT_EQ(mkdir(mnt_.c_str(), 0755), 0);
  }

  void TearDown() override {
    if (mount_) {
      EXPECT_EQ(mount_->Unmount(), 0);
      testutil::CommandResult fsck = testutil::Fsck(image_);
      EXPECT_EQ(fsck.exit_code, 0) << fsck.out;
    }
  }

  // Mounts with `-o options` (none when empty) in the foreground.
  void Mount(const std::string& options) {
    std::vector<std::string> args;
    if (!options.empty()) {
      args = {"-o", options};
    }
    std::string error;
    mount_ = testutil::Ext4fhMount::Start(image_, mnt_, args, &error);
    ASSERT_NE(mount_, nullptr) << error;
  }

  testutil::TempDir dir_;
  std::string image_, mnt_;
  std::unique_ptr<testutil::Ext4fhMount> mount_;  // unmounts when destroyed
};

TEST_F(MountFlagsTest, DefaultsAreNosuidNodev) {
  Mount("");
  std::set<std::string> options = MountOptions(mnt_);
  EXPECT_TRUE(options.contains("nosuid"));
  EXPECT_TRUE(options.contains("nodev"));
  EXPECT_FALSE(options.contains("noexec"));
  unsigned long flags = StatvfsFlags(mnt_);
  EXPECT_TRUE(flags & ST_NOSUID);
  EXPECT_TRUE(flags & ST_NODEV);
  EXPECT_FALSE(flags & ST_NOEXEC);
  EXPECT_EQ(ExecErrno(mnt_ + "/run.sh"), 0);
  EXPECT_EQ(OpenErrno(mnt_ + "/null"), EACCES);  // nodev
  EXPECT_EQ(mount_->Unmount(), 0);
}

TEST_F(MountFlagsTest, NoexecRefusesExecve) {
  Mount("noexec");
  std::set<std::string> options = MountOptions(mnt_);
  EXPECT_TRUE(options.contains("noexec"));
  EXPECT_TRUE(options.contains("nosuid"));
  EXPECT_TRUE(options.contains("nodev"));
  EXPECT_TRUE(StatvfsFlags(mnt_) & ST_NOEXEC);
  EXPECT_EQ(ExecErrno(mnt_ + "/run.sh"), EACCES);
  EXPECT_EQ(mount_->Unmount(), 0);
}

TEST_F(MountFlagsTest, AllThreeExplicitly) {
  Mount("nosuid,nodev,noexec");
  std::set<std::string> options = MountOptions(mnt_);
  EXPECT_TRUE(options.contains("nosuid"));
  EXPECT_TRUE(options.contains("nodev"));
  EXPECT_TRUE(options.contains("noexec"));
  unsigned long flags = StatvfsFlags(mnt_);
  EXPECT_TRUE(flags & ST_NOSUID);
  EXPECT_TRUE(flags & ST_NODEV);
  EXPECT_TRUE(flags & ST_NOEXEC);
  EXPECT_EQ(ExecErrno(mnt_ + "/run.sh"), EACCES);
  EXPECT_EQ(OpenErrno(mnt_ + "/null"), EACCES);
  EXPECT_EQ(mount_->Unmount(), 0);
}

TEST_F(MountFlagsTest, SuidAndDevClearTheDefaults) {
  Mount("suid,dev");
  std::set<std::string> options = MountOptions(mnt_);
  EXPECT_FALSE(options.contains("nosuid"));
  EXPECT_FALSE(options.contains("nodev"));
  EXPECT_FALSE(options.contains("noexec"));
  unsigned long flags = StatvfsFlags(mnt_);
  EXPECT_FALSE(flags & ST_NOSUID);
  EXPECT_FALSE(flags & ST_NODEV);
  EXPECT_EQ(OpenErrno(mnt_ + "/null"), 0);  // the real /dev/null
  EXPECT_EQ(mount_->Unmount(), 0);
}

TEST_F(MountFlagsTest, LastOneWins) {
  Mount("noexec,exec,dev,nodev,suid,ro");
  std::set<std::string> options = MountOptions(mnt_);
  EXPECT_FALSE(options.contains("noexec"));
  EXPECT_TRUE(options.contains("nodev"));
  EXPECT_FALSE(options.contains("nosuid"));
  EXPECT_TRUE(options.contains("ro"));
  EXPECT_EQ(ExecErrno(mnt_ + "/run.sh"), 0);
  EXPECT_EQ(mount_->Unmount(), 0);
}

}  // namespace
}  // namespace ext4fh
