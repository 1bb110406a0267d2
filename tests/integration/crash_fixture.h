#pragma once

// A fresh read-write ext4 image mounted by ext4fh, for tests that crash or
// replace its server (crash_test.cc, restart_test.cc).

#include <fcntl.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "testutil/images.h"
#include "testutil/keeper_ctl.h"
#include "testutil/mounts.h"
#include "testutil/subprocess.h"
#include "testutil/temp_dir.h"

namespace ext4fh {

class CrashFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testutil::FuseAvailable() || geteuid() != 0) {
      GTEST_SKIP() << "needs /dev/fuse and root";
    }
    image_ = dir_.Join("fs.img");
    testutil::MakeFs(image_, {"-t", "ext4"}, "",
                     image_size_);
    mnt_ = dir_.Join("mnt");
    ASSERT_EQ(mkdir(mnt_.c_str(), 0755), 0);
  }

  // Mounts with `options`; `fault` (util/fault.h) goes to the first server.
  void Mount(const std::vector<std::string>& options,
             const std::string& fault = "") {
    if (!fault.empty()) {
      setenv("EXT4FH_FAULT", fault.c_str(), 1);
    }
    std::string error;
    mount_ = testutil::Ext4fhMount::Start(image_, mnt_, options, &error);
    unsetenv("EXT4FH_FAULT");
    ASSERT_NE(mount_, nullptr) << error;
  }

  // Unmounts and expects a clean exit and a clean image.
  void UnmountAndCheck() {
    ASSERT_NE(mount_, nullptr);
    EXPECT_EQ(mount_->Unmount(), 0) << KeeperLog();
    testutil::CommandResult fsck = testutil::Fsck(image_);
    EXPECT_EQ(fsck.exit_code, 0) << fsck.out << fsck.err;
  }

  // Kills the serving server with SIGKILL and waits for its successor.
  void CrashAndWait(int timeout_ms = 60000) {
    pid_t old = testutil::SignalServer(mnt_, SIGKILL);
    ASSERT_GT(old, 0) << "no server serving\n" << Diagnosis();
    ASSERT_GT(testutil::WaitForNewServer(mnt_, old, timeout_ms), 0)
        << "no new server\n" << Diagnosis();
  }

  // The end of the keeper's log, what `ctl status` says, and where each
  // thread of the keeper's processes waits.
  std::string Diagnosis() const {
    std::string log = KeeperLog();
    size_t keep = 6000;
    std::string out = "keeper log (end):\n" +
                      (log.size() > keep ? log.substr(log.size() - keep) : log);
    testutil::CommandResult ctl =
        testutil::Run({testutil::Ext4fhBinary(), "ctl", "status", mnt_}, 30);
    out += "\nctl status (exit " + std::to_string(ctl.exit_code) + "):\n" +
           ctl.out + ctl.err;
    if (mount_ != nullptr) {
      out += testutil::Shell("for p in " + std::to_string(mount_->keeper_pid()) +
                             " $(pgrep -P " +
                             std::to_string(mount_->keeper_pid()) +
                             "); do for t in /proc/$p/task/*; do echo \"$t: "
                             "$(cat $t/wchan)\"; head -4 $t/stack; done; done; "
                             "for p in $(pgrep -P " +
                             std::to_string(mount_->keeper_pid()) +
                             "); do timeout 60 gdb -q -p $p -batch -ex "
                             "'thread apply all bt' 2>&1 | grep -E '^#|^Thread'; "
                             "done",
                             120)
                 .out;
    }
    return out;
  }

  std::string KeeperLog() const {
    if (mount_ == nullptr) {
      return "";
    }
    std::ifstream in(mount_->log_path());
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

  // A directory of executable hooks, each a shell script body.
  std::string MakeHooks(
      const std::vector<std::pair<std::string, std::string>>& hooks) {
    std::string dir = dir_.Join("hooks");
    mkdir(dir.c_str(), 0755);
    for (const auto& [name, body] : hooks) {
      std::string path = dir + "/" + name;
      std::ofstream(path) << "#!/bin/sh\n" << body << "\n";
      chmod(path.c_str(), 0755);
    }
    return dir;
  }

  std::string Path(const std::string& name) const { return mnt_ + "/" + name; }

  testutil::TempDir dir_;
  std::string image_size_ = "128M";
  std::string image_, mnt_;
  std::unique_ptr<testutil::Ext4fhMount> mount_;
};

}  // namespace ext4fh
