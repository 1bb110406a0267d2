// Crash survival (issue 4, items 4 and 8d): planned restarts under load
// show no errors at all, and open files (read, write, mmap) keep working
// across planned restarts and crashes, including writes the kernel cached
// while no server ran.

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <fstream>
#include <thread>

#include "integration/crash_fixture.h"
#include "util/cleanup.h"

namespace ext4fh {
namespace {

using ::testing::ContainsRegex;
using ::testing::HasSubstr;
using ::testing::Not;

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::string Pattern(size_t size, char seed) {
  std::string s(size, '\0');
  for (size_t i = 0; i < size; ++i) {
    s[i] = static_cast<char>(seed + i * 7 + i / 4096);
  }
  return s;
}

class RestartTest : public CrashFixture {
 protected:
  // `ext4fh ctl restart`; returns its exit code.
  int CtlRestart() {
    return testutil::Run({testutil::Ext4fhBinary(), "ctl", "restart", mnt_},
                         60)
        .exit_code;
  }

  // Waits until the keeper reports `state`.
  bool WaitForState(const std::string& state, int timeout_ms = 30000) {
    for (int waited = 0; waited < timeout_ms; waited += 5) {
      if (testutil::CtlStatus(mnt_)["state"] == state) {
        return true;
      }
      usleep(5000);
    }
    return false;
  }

  // A source tree for tar: nested directories of files of varied sizes.
  std::string MakeSourceTree() {
    std::string src = dir_.Join("src");
    mkdir(src.c_str(), 0755);
    for (int d = 0; d < 8; ++d) {
      std::string sub = src + "/d" + std::to_string(d);
      mkdir(sub.c_str(), 0755);
      for (int f = 0; f < 40; ++f) {
        std::ofstream(sub + "/f" + std::to_string(f), std::ios::binary)
            << Pattern(static_cast<size_t>(f * 977 + d * 13), 'a' + d);
      }
      symlink(("f" + std::to_string(d)).c_str(), (sub + "/link").c_str());
    }
    return src;
  }
};

// (d) `ext4fh ctl restart` while fio (random writes, then a verify pass)
// and tar (extracting a tree, then archiving it) run: both succeed with no
// error, and what they wrote is intact.
TEST_F(RestartTest, PlannedRestartsUnderLoadShowNoErrors) {
  Mount({});
  std::string src = MakeSourceTree();
  ASSERT_EQ(mkdir(Path("fio").c_str(), 0755), 0);
  ASSERT_EQ(mkdir(Path("tree").c_str(), 0755), 0);
  std::string fio_log = dir_.Join("fio.log"), tar_log = dir_.Join("tar.log");
  pid_t fio = testutil::Spawn(
      {"fio", "--name=load", "--directory=" + Path("fio"), "--size=12M",
       "--bs=4k", "--rw=randwrite", "--ioengine=psync", "--numjobs=2",
       "--verify=crc32c", "--do_verify=1", "--loops=3", "--fsync=64"},
      fio_log);
  pid_t tar = testutil::Spawn(
      {"sh", "-c",
       "for i in 1 2 3 4; do tar -C " + src + " -cf - . | tar -C " +
           Path("tree") + " -xf - && tar -C " + Path("tree") + " -cf " +
           Path("tree.tar") + " . || exit 1; done"},
      tar_log);
  Cleanup stop_load([&] {
    kill(fio, SIGKILL);
    kill(tar, SIGKILL);
    waitpid(fio, nullptr, 0);
    waitpid(tar, nullptr, 0);
  });
  int restarts = 0;
  int fio_status = -1;
  while ((fio_status = testutil::WaitFor(fio, 300)) < 0) {
    ASSERT_EQ(CtlRestart(), 0) << KeeperLog();
    ++restarts;
  }
  int tar_status = testutil::WaitFor(tar, 120000);
  stop_load.Cancel();
  EXPECT_GE(restarts, 3) << "the load ended too early to mean anything";
  EXPECT_EQ(fio_status, 0) << ReadAll(fio_log);
  EXPECT_THAT(ReadAll(fio_log), HasSubstr("err= 0"));
  EXPECT_THAT(ReadAll(fio_log), Not(ContainsRegex("err= *[1-9]")));
  EXPECT_EQ(tar_status, 0) << ReadAll(tar_log);
  EXPECT_EQ(testutil::Run({"diff", "-r", src, Path("tree")}).exit_code, 0);
  std::map<std::string, std::string> status = testutil::CtlStatus(mnt_);
  EXPECT_EQ(status["restarts"], std::to_string(restarts));
  EXPECT_EQ(status["last_exit"], "exit 0");
  EXPECT_EQ(status["recent_crashes"], "0");
  UnmountAndCheck();
}

// Item 4: fds held for reading, for writing and as a shared mapping keep
// working across a planned restart and a crash. While the crashed server's
// successor waits for a hook, the test dirties the mapping and starts a
// write(2); both reach the image once the new server runs.
TEST_F(RestartTest, OpenFilesAndMappingsSurviveRestarts) {
  std::string gate = dir_.Join("gate");
  std::string hooks = MakeHooks(
      {{"50-gate", "while [ ! -e " + gate + " ]; do sleep 0.02; done"}});
  Mount({"-o", "fsck_hooks=" + hooks});
  const size_t kSize = 64 << 10;
  std::string original = Pattern(kSize, 'r');
  std::ofstream(Path("read")) << original;
  int reader = open(Path("read").c_str(), O_RDONLY | O_CLOEXEC);
  int writer = open(Path("write").c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
  int mapped =
      open(Path("mapped").c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0644);
  ASSERT_TRUE(reader >= 0 && writer >= 0 && mapped >= 0);
  Cleanup close_fds([&] {
    close(reader);
    close(writer);
    close(mapped);
  });
  ASSERT_EQ(ftruncate(mapped, kSize), 0);
  auto* map = static_cast<char*>(
      mmap(nullptr, kSize, PROT_READ | PROT_WRITE, MAP_SHARED, mapped, 0));
  ASSERT_NE(map, MAP_FAILED);
  Cleanup unmap([&] { munmap(map, kSize); });
  std::string expected_map(kSize, '\0');
  std::string expected_write;

  // Before anything: one write each, and the mapping is faulted in.
  std::string chunk = Pattern(4096, 'w');
  ASSERT_EQ(write(writer, chunk.data(), chunk.size()), 4096);
  expected_write += chunk;
  std::memset(map, 'a', kSize);
  expected_map.assign(kSize, 'a');
  ASSERT_EQ(msync(map, kSize, MS_SYNC), 0);

  // A planned restart.
  ASSERT_EQ(CtlRestart(), 0) << KeeperLog();
  std::string back(kSize, '\0');
  ASSERT_EQ(pread(reader, back.data(), kSize, 0), static_cast<ssize_t>(kSize));
  EXPECT_EQ(back, original);
  ASSERT_EQ(write(writer, chunk.data(), chunk.size()), 4096) << strerror(errno);
  expected_write += chunk;
  std::memset(map + 4096, 'b', 8192);
  expected_map.replace(4096, 8192, 8192, 'b');
  ASSERT_EQ(msync(map, kSize, MS_SYNC), 0) << strerror(errno);

  // A crash; the hook holds the restart until the gate opens.
  ASSERT_GT(testutil::SignalServer(mnt_, SIGKILL), 0);
  ASSERT_TRUE(WaitForState("running-fsck-hooks")) << KeeperLog();
  std::memset(map + 16384, 'c', 4096);  // cached: no server needed
  expected_map.replace(16384, 4096, 4096, 'c');
  std::atomic<ssize_t> written{-1};
  int write_errno = 0;
  std::thread blocked([&] {
    written = write(writer, chunk.data(), chunk.size());
    write_errno = errno;
  });
  usleep(100000);
  EXPECT_EQ(written.load(), -1) << "the write finished with no server running";
  std::ofstream(gate) << "open";
  blocked.join();
  EXPECT_EQ(written.load(), 4096) << strerror(write_errno);
  expected_write += chunk;
  ASSERT_TRUE(WaitForState("serving")) << KeeperLog();
  ASSERT_EQ(msync(map, kSize, MS_SYNC), 0) << strerror(errno);
  ASSERT_EQ(fsync(writer), 0) << strerror(errno);
  ASSERT_EQ(pread(reader, back.data(), kSize, 0), static_cast<ssize_t>(kSize));
  EXPECT_EQ(back, original);
  EXPECT_EQ(std::string(map, kSize), expected_map);
  EXPECT_EQ(ReadAll(Path("write")), expected_write);
  EXPECT_EQ(ReadAll(Path("mapped")), expected_map);
  EXPECT_EQ(testutil::CtlStatus(mnt_)["restarts"], "2");

  // And on the image itself, after a fresh mount.
  unmap.Cancel();
  munmap(map, kSize);
  close_fds.Cancel();
  close(reader);
  close(writer);
  close(mapped);
  UnmountAndCheck();
  Mount({});
  EXPECT_EQ(ReadAll(Path("write")), expected_write);
  EXPECT_EQ(ReadAll(Path("mapped")), expected_map);
  UnmountAndCheck();
}

// DESIGN section 3 across a crash: a file unlinked while open lives on
// although the shipped hook runs e2fsck, which frees every orphan; once
// closed, it is freed.
TEST_F(RestartTest, OpenUnlinkedFilesSurviveACrashAndItsFsck) {
  Mount({});
  const size_t kSize = 1 << 20;
  std::string data = Pattern(kSize, 'u');
  int fd = open(Path("tmp").c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0600);
  ASSERT_GE(fd, 0);
  Cleanup close_fd([&] { close(fd); });
  ASSERT_EQ(write(fd, data.data(), kSize), static_cast<ssize_t>(kSize));
  ASSERT_EQ(unlink(Path("tmp").c_str()), 0);
  struct statvfs before {};
  ASSERT_EQ(statvfs(mnt_.c_str(), &before), 0);

  ASSERT_NO_FATAL_FAILURE(CrashAndWait());
  EXPECT_THAT(KeeperLog(), HasSubstr("Kept 1 open unlinked files from fsck"));
  std::string back(kSize, '\0');
  ASSERT_EQ(pread(fd, back.data(), kSize, 0), static_cast<ssize_t>(kSize))
      << strerror(errno);
  EXPECT_EQ(back, data);
  ASSERT_EQ(pwrite(fd, "more", 4, kSize), 4) << strerror(errno);
  EXPECT_EQ(testutil::Run({"ls", "-A", Path("lost+found")}).out, "")
      << "the shelter name stays hidden from users";

  close_fd.Cancel();
  close(fd);
  // The kernel forgets the inode, and its blocks come back.
  struct statvfs after {};
  for (int i = 0; i < 250; ++i) {
    statvfs(mnt_.c_str(), &after);
    if (after.f_bfree > before.f_bfree + 200) {
      break;
    }
    usleep(20000);
  }
  EXPECT_GT(after.f_bfree, before.f_bfree + 200) << "the file was not freed";
  UnmountAndCheck();
}

}  // namespace
}  // namespace ext4fh
