// ext4fh run by a user who is not root: the keeper mounts through
// fusermount3 (the _FUSE_COMMFD protocol), the user reads and writes, and
// `fusermount3 -u` unmounts; then nothing is left, neither mount nor
// process. Also the demo (images/demo.sh) run by that user.
//
// The test runs as root and drops to nobody for every command. fusermount3
// opens /dev/fuse with the user's filesystem uid, so it needs /dev/fuse
// readable and writable by the user (mode 0666, Debian's udev default).
// Where it is not (e.g. mode 0600), the test does not touch the host's
// node: it works in a private mount namespace in which a node of the same
// device (10:229, mode 0666) is bind-mounted over /dev/fuse. Everything
// else is the real thing: the setuid fusermount3, the kernel's permission
// checks, the user's uid on the mount. A namespace also guarantees that a
// leaked mount dies with the test's processes; teardown unmounts and kills
// the test's keepers by pid anyway, and returns to the original namespace.

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#include "testutil/images.h"
#include "testutil/mounts.h"
#include "testutil/run_as.h"
#include "testutil/subprocess.h"
#include "testutil/temp_dir.h"

namespace ext4fh {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using testutil::CommandResult;
using testutil::kNobody;

bool HaveFusermount() {
  return testutil::Shell("command -v fusermount3").exit_code == 0;
}

// The options field of `mountpoint`'s line in /proc/self/mounts, or "".
std::string MountOptions(const std::string& mountpoint) {
  std::ifstream in("/proc/self/mounts");
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string source, target, type, options;
    fields >> source >> target >> type >> options;
    if (target == mountpoint) {
      return type + " " + options;
    }
  }
  return "";
}

// Waits up to `ms` for no process to mention `needle`.
bool WaitNoProcesses(const std::string& needle, int ms) {
  for (int waited = 0; waited < ms; waited += 50) {
    if (testutil::ProcessesWith(needle).empty()) {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return testutil::ProcessesWith(needle).empty();
}

class UnprivilegedTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!HaveFusermount() || access("/dev/fuse", F_OK) != 0) {
      GTEST_SKIP() << "needs fusermount3 (package fuse3) and /dev/fuse";
    }
    ASSERT_EQ(geteuid(), 0u)
        << "run this test as root: it sets up a user's directory and "
           "drops to that user itself";
    ASSERT_EQ(chmod(dir_.path().c_str(), 0755), 0);
    home_ = dir_.Join("home");
    ASSERT_EQ(mkdir(home_.c_str(), 0755), 0);
    ASSERT_EQ(chown(home_.c_str(), kNobody, kNobody), 0);
    EnterPrivateNamespace();
  }

  void TearDown() override {
    if (original_ns_ < 0) {
      return;
    }
    // Unmount everything under the user's directory, then end the keepers
    // and servers this test started (found by its unique directory).
    for (const std::string& mnt : {home_ + "/mnt", home_ + "/build/demo-mnt"}) {
      if (testutil::IsMounted(mnt)) {
        umount2(mnt.c_str(), MNT_DETACH);
      }
    }
    for (pid_t pid : testutil::ProcessesWith(home_)) {
      kill(pid, SIGKILL);
    }
    WaitNoProcesses(home_, 5000);
    if (dev_substituted_) {
      umount2("/dev/fuse", MNT_DETACH);
    }
    EXPECT_EQ(setns(original_ns_, CLONE_NEWNS), 0) << strerror(errno);
    close(original_ns_);
    EXPECT_EQ(fchdir(original_cwd_), 0);
    close(original_cwd_);
  }

  // Moves this (single-threaded) test process into a new private mount
  // namespace, with a user-accessible /dev/fuse if the host's is not.
  void EnterPrivateNamespace() {
    original_cwd_ = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    original_ns_ = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
    ASSERT_GE(original_ns_, 0);
    ASSERT_EQ(unshare(CLONE_NEWNS), 0) << strerror(errno);
    ASSERT_EQ(mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr), 0)
        << strerror(errno);
    std::string can_open = testutil::RunAs(kNobody, kNobody, [] {
      return std::string(access("/dev/fuse", R_OK | W_OK) == 0 ? "yes" : "no");
    });
    if (can_open == "yes") {
      return;
    }
    // A tmpfs of our own, so the node works even if $TMPDIR is nodev.
    std::string dev_dir = dir_.Join("dev");
    std::string node = dev_dir + "/fuse";
    ASSERT_EQ(mkdir(dev_dir.c_str(), 0755), 0);
    ASSERT_EQ(mount("ext4fh-test-dev", dev_dir.c_str(), "tmpfs", 0,
                    "mode=0755,size=64k"),
              0)
        << strerror(errno);
    ASSERT_EQ(mknod(node.c_str(), S_IFCHR | 0666, makedev(10, 229)), 0);
    ASSERT_EQ(chmod(node.c_str(), 0666), 0);
    ASSERT_EQ(mount(node.c_str(), "/dev/fuse", nullptr, MS_BIND, nullptr), 0)
        << strerror(errno);
    dev_substituted_ = true;
  }

  // `argv` run as nobody, with HOME in the user's directory.
  CommandResult AsUser(const std::vector<std::string>& argv,
                       int timeout_s = 60) {
    std::vector<std::string> full = {"setpriv",       "--reuid=65534",
                                     "--regid=65534", "--clear-groups",
                                     "env",           "HOME=" + home_};
    full.insert(full.end(), argv.begin(), argv.end());
    return testutil::Run(full, timeout_s);
  }

  CommandResult ShellAsUser(const std::string& command) {
    return AsUser({"/bin/sh", "-c", command});
  }

  // A 32 MiB ext4 image in the user's directory, owned by the user, whose
  // root directory belongs to the user and holds hello.txt.
  std::string MakeUserImage() {
    std::string seed = home_ + "/seed";
    std::string image = home_ + "/fs.img";
    EXPECT_EQ(mkdir(seed.c_str(), 0755), 0);
    std::ofstream(seed + "/hello.txt") << "hello from the image\n";
    testutil::MakeFs(image, {"-t", "ext4", "-E", "root_owner=65534:65534"},
                     seed, "32M");
    EXPECT_EQ(chown(image.c_str(), kNobody, kNobody), 0);
    return image;
  }

  std::string MakeUserDir(const std::string& name) {
    std::string path = home_ + "/" + name;
    EXPECT_EQ(mkdir(path.c_str(), 0755), 0);
    EXPECT_EQ(chown(path.c_str(), kNobody, kNobody), 0);
    return path;
  }

  testutil::TempDir dir_;
  std::string home_;
  int original_ns_ = -1;
  int original_cwd_ = -1;
  bool dev_substituted_ = false;
};

TEST_F(UnprivilegedTest, MountsReadsWritesAndUnmountsThroughFusermount) {
  std::string image = MakeUserImage();
  std::string mnt = MakeUserDir("mnt");
  std::string ext4fh = testutil::Ext4fhBinary();
  if (dev_substituted_) {
    std::cerr << "[   NOTE   ] /dev/fuse is not open to users here; using a "
                 "0666 node of it in a private mount namespace\n";
  }

  CommandResult r = AsUser({ext4fh, image, mnt});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_TRUE(testutil::IsMounted(mnt));
  std::string options = MountOptions(mnt);
  EXPECT_THAT(options, HasSubstr("fuse.ext4fh "));
  EXPECT_THAT(options, HasSubstr("user_id=65534,group_id=65534"));
  EXPECT_THAT(options, HasSubstr("nosuid"));
  EXPECT_THAT(options, HasSubstr("nodev"));

  r = ShellAsUser("cat " + mnt + "/hello.txt");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "hello from the image\n");
  r = ShellAsUser("set -e; cd " + mnt +
                  "; echo written by nobody > new.txt; mkdir dir;"
                  " mv new.txt dir/moved.txt; cat dir/moved.txt;"
                  " stat -c %u:%g dir/moved.txt; rm hello.txt");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "written by nobody\n65534:65534\n");

  // The keeper answers its own user on the control socket.
  r = AsUser({ext4fh, "ctl", "status", mnt});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("state: serving"));

  r = AsUser({"fusermount3", "-u", mnt});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(WaitNoProcesses(home_, 10000))
      << "keeper or server still running";
  EXPECT_FALSE(testutil::IsMounted(mnt));
  EXPECT_EQ(MountOptions(mnt), "");

  CommandResult fsck = testutil::Fsck(image);
  EXPECT_EQ(fsck.exit_code, 0) << fsck.out;
  CommandResult cat =
      testutil::Run({"debugfs", "-R", "cat /dir/moved.txt", image});
  EXPECT_EQ(cat.out, "written by nobody\n");
}

TEST_F(UnprivilegedTest, KeeperUnmountsOnSigterm) {
  std::string image = MakeUserImage();
  std::string mnt = MakeUserDir("mnt");
  CommandResult r = AsUser({testutil::Ext4fhBinary(), image, mnt});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_TRUE(testutil::IsMounted(mnt));
  // The keeper's own unmount path (fusermount3 -u -z, as it is not root).
  r = AsUser(
      {"pkill", "-TERM", "-f", "^" + testutil::Ext4fhBinary() + " " + image});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(WaitNoProcesses(home_, 10000));
  EXPECT_FALSE(testutil::IsMounted(mnt));
  EXPECT_EQ(testutil::Fsck(image).exit_code, 0);
}

TEST_F(UnprivilegedTest, RefusalsAreClear) {
  std::string image = MakeUserImage();
  std::string mnt = MakeUserDir("mnt");
  std::string ext4fh = testutil::Ext4fhBinary();
  // A mountpoint the user cannot write to: refused before anything starts.
  std::string root_dir = home_ + "/root-owned";
  ASSERT_EQ(mkdir(root_dir.c_str(), 0755), 0);
  CommandResult r = AsUser({ext4fh, image, root_dir});
  EXPECT_EQ(r.exit_code, 4) << r.err;
  EXPECT_THAT(r.err, HasSubstr("not writable by you"));

  // allow_other needs user_allow_other in /etc/fuse.conf.
  std::ifstream conf("/etc/fuse.conf");
  std::stringstream text;
  text << conf.rdbuf();
  if (text.str().find("\nuser_allow_other") == std::string::npos &&
      !text.str().starts_with("user_allow_other")) {
    r = AsUser({ext4fh, "-o", "allow_other", image, mnt});
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_THAT(r.err, HasSubstr("user_allow_other"));
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_FALSE(testutil::IsMounted(mnt));
  }
  // suid is not for users: fusermount3 keeps nosuid, and says so.
  r = AsUser({ext4fh, "-o", "suid,noexec", image, mnt});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("unsafe option suid ignored"));
  std::string options = MountOptions(mnt);
  EXPECT_THAT(options, HasSubstr("nosuid"));
  EXPECT_THAT(options, HasSubstr("noexec"));
  r = AsUser({"fusermount3", "-u", mnt});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(WaitNoProcesses(home_, 10000));
}

// README command (a) ends with `images/demo.sh build`; here as nobody,
// with a build directory of its own that holds a link to the binary.
TEST_F(UnprivilegedTest, DemoRuns) {
  std::string build = MakeUserDir("build");
  ASSERT_EQ(
      symlink(testutil::Ext4fhBinary().c_str(), (build + "/ext4fh").c_str()),
      0);
  CommandResult r =
      AsUser({testutil::SourceDir() + "/images/demo.sh", build}, 120);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("written through ext4fh"));
  EXPECT_THAT(r.out, HasSubstr("user.comment=\"hello from an xattr\""));
  EXPECT_THAT(r.out, HasSubstr("user_id=65534"));
  EXPECT_THAT(r.out, HasSubstr("ext4fh-demo: "));
  EXPECT_THAT(r.err, Not(HasSubstr("Permission denied")));
  EXPECT_TRUE(WaitNoProcesses(home_, 10000));
  EXPECT_FALSE(testutil::IsMounted(build + "/demo-mnt"));
  struct stat st {};
  ASSERT_EQ(stat((build + "/demo.img").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, kNobody);
  EXPECT_EQ(testutil::Fsck(build + "/demo.img").exit_code, 0);
}

}  // namespace
}  // namespace ext4fh
