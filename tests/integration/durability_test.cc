// fsync, fdatasync and fsyncdir (issue 3): once one returns, what it
// covers is on the image file itself (debugfs -c reads the image while
// ext4fh still has it mounted), and a SIGKILL of the server right after
// loses none of it: the keeper's next server reads it back. Explicitly set
// timestamps (to the nanosecond) and UTIME_OMIT are checked the same way.

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <regex>
#include <string>

#include "integration/crash_fixture.h"

namespace ext4fh {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::string Pattern(size_t n, int seed) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) {
    s[i] = static_cast<char>((i * 131 + seed * 17 + (i >> 12)) & 0xff);
  }
  return s;
}

std::string ReadAll(int fd, size_t size) {
  std::string s(size, '\0');
  ssize_t n = pread(fd, s.data(), size, 0);
  s.resize(n > 0 ? static_cast<size_t>(n) : 0);
  return s;
}

class DurabilityTest : public CrashFixture {
 protected:
  // debugfs -c (read-only, no bitmaps) run on the image while mounted.
  std::string Debugfs(const std::string& request) {
    return testutil::Run({"debugfs", "-c", "-R", request, image_}).out;
  }
  // The file's contents as the image has them now.
  std::string OnImage(const std::string& path) {
    return Debugfs("cat " + path);
  }
};

TEST_F(DurabilityTest, FsyncedDataIsOnTheImageAndSurvivesAKill) {
  Mount({});
  int fd = open(Path("f").c_str(), O_RDWR | O_CREAT, 0644);
  ASSERT_GE(fd, 0);
  std::string data = Pattern(300000, 1);
  ASSERT_EQ(write(fd, data.data(), data.size()),
            static_cast<ssize_t>(data.size()));
  const std::string tail = "tail after a hole";
  const off_t far = 5 << 20;
  ASSERT_EQ(pwrite(fd, tail.data(), tail.size(), far),
            static_cast<ssize_t>(tail.size()));
  ASSERT_EQ(fsync(fd), 0);
  std::string expected = data + std::string(far - data.size(), '\0') + tail;
  EXPECT_TRUE(OnImage("/f") == expected) << "fsync'd data is not on the image";
  EXPECT_THAT(Debugfs("stat /f"),
              HasSubstr("Size: " + std::to_string(expected.size())));

  CrashAndWait();
  EXPECT_TRUE(ReadAll(fd, expected.size() + 10) == expected)
      << "through the open fd";
  struct stat st {};
  ASSERT_EQ(stat(Path("f").c_str(), &st), 0);
  EXPECT_EQ(st.st_size, static_cast<off_t>(expected.size()));
  std::string more = Pattern(5000, 2);
  ASSERT_EQ(pwrite(fd, more.data(), more.size(), 1000),
            static_cast<ssize_t>(more.size()));
  ASSERT_EQ(fdatasync(fd), 0);
  expected.replace(1000, more.size(), more);
  EXPECT_TRUE(OnImage("/f") == expected)
      << "fdatasync'd data is not on the image";
  CrashAndWait();
  int again = open(Path("f").c_str(), O_RDONLY);
  ASSERT_GE(again, 0);
  EXPECT_TRUE(ReadAll(again, expected.size() + 10) == expected) << "a new open";
  close(again);
  close(fd);
  UnmountAndCheck();
}

// fsyncdir reaches ext4fh (its debug log shows FSYNCDIR answered with
// success: an ENOSYS would make the kernel skip every later fsyncdir
// silently) and the directory's new entries are on the image.
TEST_F(DurabilityTest, FsyncdirPutsTheEntriesOnTheImage) {
  Mount({"-d"});
  ASSERT_EQ(mkdir(Path("d").c_str(), 0755), 0);
  ASSERT_EQ(mkdir(Path("d/sub").c_str(), 0700), 0);
  int fd = open(Path("d/a").c_str(), O_WRONLY | O_CREAT, 0644);
  ASSERT_GE(fd, 0);
  close(fd);
  ASSERT_EQ(rename(Path("d/a").c_str(), Path("d/b").c_str()), 0);
  ASSERT_EQ(symlink("b", Path("d/link").c_str()), 0);
  int dfd = open(Path("d").c_str(), O_RDONLY | O_DIRECTORY);
  ASSERT_GE(dfd, 0);
  EXPECT_EQ(fsync(dfd), 0);
  EXPECT_EQ(fdatasync(dfd), 0);
  int rootfd = open(mnt_.c_str(), O_RDONLY | O_DIRECTORY);
  EXPECT_EQ(fsync(rootfd), 0);
  close(rootfd);
  std::string ls = Debugfs("ls -l /d");
  EXPECT_THAT(ls, HasSubstr(" b\n"));
  EXPECT_THAT(ls, HasSubstr(" sub\n"));
  EXPECT_THAT(ls, HasSubstr(" link\n"));
  EXPECT_THAT(ls, Not(HasSubstr(" a\n")));
  std::string log = KeeperLog();
  std::regex request("unique: (\\d+), opcode: FSYNCDIR \\(30\\)");
  int answered = 0;
  for (auto it = std::sregex_iterator(log.begin(), log.end(), request);
       it != std::sregex_iterator(); ++it) {
    answered += log.find("unique: " + (*it)[1].str() + ", success,") !=
                std::string::npos;
  }
  EXPECT_EQ(answered, 3)
      << "fsync, fdatasync and the root's fsync, each answered 0\n"
      << log.substr(log.size() > 4000 ? log.size() - 4000 : 0);

  CrashAndWait();
  EXPECT_EQ(fsync(dfd), 0) << "an open directory after a restart";
  close(dfd);
  struct stat st {};
  EXPECT_EQ(lstat(Path("d/link").c_str(), &st), 0);
  EXPECT_EQ(stat(Path("d/sub").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode, S_IFDIR | 0700u);
  UnmountAndCheck();
}

// The inode's time fields as debugfs shows them: "atime: 0xSSSSSSSS:XXXXXXXX",
// the extra word holding (nanoseconds << 2) | epoch bits.
std::string RawTime(const std::string& stat_out, const std::string& field) {
  std::smatch m;
  std::regex re(field + ": (0x[0-9a-f]{8}:[0-9a-f]{8})");
  return std::regex_search(stat_out, m, re) ? m[1].str()
                                            : "<" + field + " missing>";
}

std::string Raw(uint32_t base, uint32_t nsec, uint32_t epoch) {
  char buf[32];
  snprintf(buf, sizeof(buf), "0x%08x:%08x", base, (nsec << 2) | epoch);
  return buf;
}

TEST_F(DurabilityTest, ExplicitTimesAreOnTheImageToTheNanosecond) {
  Mount({"-o", "attr_timeout=0"});  // every stat asks the server
  int fd = open(Path("t").c_str(), O_WRONLY | O_CREAT, 0644);
  ASSERT_GE(fd, 0);
  close(fd);
  timespec ts[2] = {{1000, 123456789}, {-1, 999999999}};
  ASSERT_EQ(utimensat(AT_FDCWD, Path("t").c_str(), ts, 0), 0);
  std::string st = Debugfs("stat /t");
  EXPECT_EQ(RawTime(st, "atime"), Raw(1000, 123456789, 0));
  // -1 s: base 0xffffffff, epoch bits 0 (ext4_encode_extra_time).
  EXPECT_EQ(RawTime(st, "mtime"), Raw(0xffffffff, 999999999, 0));
  // UTIME_OMIT keeps the atime; a time past 2038 takes an epoch bit.
  timespec later[2] = {{0, UTIME_OMIT}, {4294967296 + 5, 7}};
  ASSERT_EQ(utimensat(AT_FDCWD, Path("t").c_str(), later, 0), 0);
  st = Debugfs("stat /t");
  EXPECT_EQ(RawTime(st, "atime"), Raw(1000, 123456789, 0));
  EXPECT_EQ(RawTime(st, "mtime"), Raw(5, 7, 1));

  CrashAndWait();
  struct stat s {};
  ASSERT_EQ(stat(Path("t").c_str(), &s), 0);
  EXPECT_EQ(s.st_atim.tv_sec, 1000);
  EXPECT_EQ(s.st_atim.tv_nsec, 123456789);
  EXPECT_EQ(s.st_mtim.tv_sec, 4294967296 + 5);
  EXPECT_EQ(s.st_mtim.tv_nsec, 7);
  UnmountAndCheck();
}

}  // namespace
}  // namespace ext4fh
