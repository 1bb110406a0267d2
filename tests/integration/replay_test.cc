// Replay from the request log (fuse/request_log.h), at deterministic crash
// points (util/fault.h): the server dies after a non-idempotent request was
// logged, either before it changed the image (before-logged-change) or
// after its outcome is on the image and in the log (before-logged-reply).
// The kernel resends the request to the next server, which must end it as
// if it ran once: the application gets the first run's result, the tree is
// what one run makes, e2fsck finds nothing, and lookup counts are right.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <string>
#include <tuple>

#include "integration/crash_fixture.h"

namespace ext4fh {
namespace {

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::string Xattr(const std::string& path, const char* name) {
  char buf[64];
  ssize_t n = getxattr(path.c_str(), name, buf, sizeof(buf));
  return n < 0 ? std::string("errno ") + strerror(errno) : std::string(buf, n);
}

nlink_t Links(const std::string& path) {
  struct stat st {};
  return lstat(path.c_str(), &st) == 0 ? st.st_nlink : 0;
}

bool Exists(const std::string& path) {
  struct stat st {};
  return lstat(path.c_str(), &st) == 0;
}

enum class Op {
  kMkdir, kCreate, kSymlink, kLink, kUnlink, kRmdir, kRename, kExchange,
  kSetXattr, kRemoveXattr,
};

const char* OpName(Op op) {
  static const char* const kNames[] = {
      "Mkdir",  "Create", "Symlink", "Link",     "Unlink",
      "Rmdir",  "Rename", "Exchange", "SetXattr", "RemoveXattr"};
  return kNames[static_cast<int>(op)];
}

class ReplayCrashTest : public CrashFixture {
 protected:
  // Mounts with the fault armed on a fresh server, after `setup` ran on a
  // mount of its own (so that the fault's first hit is the request under
  // test).
  template <typename Setup>
  void MountArmed(const std::string& fault, Setup setup) {
    ASSERT_NO_FATAL_FAILURE(Mount({}));
    setup();
    ASSERT_NO_FATAL_FAILURE(UnmountAndCheck());
    ASSERT_NO_FATAL_FAILURE(Mount({}, fault));
  }

  // The server died once and the kernel resent what it held.
  void ExpectOneCrashWithResend() {
    std::map<std::string, std::string> status = testutil::CtlStatus(mnt_);
    EXPECT_EQ(status["restarts"], "1") << "the crash point was not reached";
    EXPECT_EQ(status["last_exit"], "signal KILL");
    EXPECT_NE(status["inflight_resent"], "0");
  }

  void Setup(Op op) {
    ASSERT_EQ(mkdir(Path("a").c_str(), 0755), 0);
    ASSERT_EQ(mkdir(Path("b").c_str(), 0755), 0);
    std::ofstream(Path("a/f")) << "A";
    std::ofstream(Path("b/g")) << "B";
    if (op == Op::kRmdir) {
      ASSERT_EQ(mkdir(Path("a/d").c_str(), 0755), 0);
    }
    if (op == Op::kRemoveXattr) {
      ASSERT_EQ(setxattr(Path("a/f").c_str(), "user.k", "v", 1, 0), 0);
    }
  }

  // Runs `op` once and checks its result and the tree it leaves.
  void RunAndCheck(Op op) {
    std::string f = Path("a/f"), g = Path("b/g");
    switch (op) {
      case Op::kMkdir:
        ASSERT_EQ(mkdir(Path("a/d").c_str(), 0750), 0) << strerror(errno);
        EXPECT_EQ(Links(Path("a/d")), 2u);
        EXPECT_EQ(Links(Path("a")), 3u);
        break;
      case Op::kCreate: {
        int fd = open(Path("a/n").c_str(), O_CREAT | O_EXCL | O_WRONLY, 0640);
        ASSERT_GE(fd, 0) << strerror(errno);
        EXPECT_EQ(write(fd, "new", 3), 3);
        EXPECT_EQ(close(fd), 0);
        EXPECT_EQ(ReadAll(Path("a/n")), "new");
        EXPECT_EQ(Links(Path("a/n")), 1u);
        break;
      }
      case Op::kSymlink: {
        ASSERT_EQ(symlink("f", Path("a/s").c_str()), 0) << strerror(errno);
        EXPECT_EQ(ReadAll(Path("a/s")), "A");
        break;
      }
      case Op::kLink:
        ASSERT_EQ(link(f.c_str(), Path("b/h").c_str()), 0) << strerror(errno);
        EXPECT_EQ(Links(f), 2u);
        EXPECT_EQ(ReadAll(Path("b/h")), "A");
        break;
      case Op::kUnlink:
        ASSERT_EQ(unlink(f.c_str()), 0) << strerror(errno);
        EXPECT_FALSE(Exists(f));
        break;
      case Op::kRmdir:
        ASSERT_EQ(rmdir(Path("a/d").c_str()), 0) << strerror(errno);
        EXPECT_FALSE(Exists(Path("a/d")));
        EXPECT_EQ(Links(Path("a")), 2u);
        break;
      case Op::kRename:
        ASSERT_EQ(rename(f.c_str(), g.c_str()), 0) << strerror(errno);
        EXPECT_FALSE(Exists(f));
        EXPECT_EQ(ReadAll(g), "A");
        EXPECT_EQ(Links(g), 1u);
        break;
      case Op::kExchange:
        ASSERT_EQ(renameat2(AT_FDCWD, f.c_str(), AT_FDCWD, g.c_str(),
                            RENAME_EXCHANGE),
                  0)
            << strerror(errno);
        EXPECT_EQ(ReadAll(f), "B");
        EXPECT_EQ(ReadAll(g), "A");
        EXPECT_EQ(Links(f), 1u);
        EXPECT_EQ(Links(g), 1u);
        break;
      case Op::kSetXattr:
        ASSERT_EQ(setxattr(f.c_str(), "user.k", "v", 1, XATTR_CREATE), 0)
            << strerror(errno);
        EXPECT_EQ(Xattr(f, "user.k"), "v");
        break;
      case Op::kRemoveXattr:
        ASSERT_EQ(removexattr(f.c_str(), "user.k"), 0) << strerror(errno);
        EXPECT_EQ(Xattr(f, "user.k"), "errno No data available");
        break;
    }
  }
};

class ReplayEveryOpTest
    : public ReplayCrashTest,
      public ::testing::WithParamInterface<std::tuple<const char*, Op>> {};

TEST_P(ReplayEveryOpTest, ResentRequestEndsAsIfItRanOnce) {
  auto [point, op] = GetParam();
  ASSERT_NO_FATAL_FAILURE(MountArmed(point, [&] { Setup(op); }));
  ASSERT_NO_FATAL_FAILURE(RunAndCheck(op));
  ExpectOneCrashWithResend();
  UnmountAndCheck();
}

INSTANTIATE_TEST_SUITE_P(
    Ops, ReplayEveryOpTest,
    ::testing::Combine(
        ::testing::Values("before-logged-change", "before-logged-reply"),
        ::testing::Values(Op::kMkdir, Op::kCreate, Op::kSymlink, Op::kLink,
                          Op::kUnlink, Op::kRmdir, Op::kRename,
                          Op::kExchange, Op::kSetXattr, Op::kRemoveXattr)),
    [](const auto& info) {
      std::string point = std::get<0>(info.param);
      return std::string(point == "before-logged-change" ? "BeforeChange"
                                                         : "BeforeReply") +
             OpName(std::get<1>(info.param));
    });

// A request that fails its precondition changes nothing and is not
// logged, so a crash cannot turn its error into "the first run did it".
// Without that, the XATTR_CREATE of an existing attribute would be logged,
// die before running, and be answered as success when resent. The first
// request that passes its precondition (the mkdir) is the one that dies.
TEST_F(ReplayCrashTest, RealErrorsStayErrorsAcrossACrash) {
  ASSERT_NO_FATAL_FAILURE(MountArmed("before-logged-change", [&] {
    std::ofstream(Path("f")) << "f";
    ASSERT_EQ(setxattr(Path("f").c_str(), "user.k", "old", 3, 0), 0);
  }));
  EXPECT_EQ(setxattr(Path("f").c_str(), "user.k", "new", 3, XATTR_CREATE), -1);
  EXPECT_EQ(errno, EEXIST);
  EXPECT_EQ(removexattr(Path("f").c_str(), "user.none"), -1);
  EXPECT_EQ(errno, ENODATA);
  EXPECT_EQ(Xattr(Path("f"), "user.k"), "old");
  ASSERT_EQ(mkdir(Path("d").c_str(), 0755), 0) << strerror(errno);
  ExpectOneCrashWithResend();
  UnmountAndCheck();
}

// A CREATE whose server died after counting its entry and before the
// reply is resent: the kernel gets the entry once, so the node table must
// count it once. Otherwise the file, once open-unlinked and closed, stays
// allocated after the kernel's FORGET, until the unmount.
TEST_F(ReplayCrashTest, ResentCreateCountsItsEntryOnce) {
  ASSERT_NO_FATAL_FAILURE(Mount({}, "before-logged-reply"));
  struct statvfs before {};
  ASSERT_EQ(statvfs(mnt_.c_str(), &before), 0);
  int fd = open(Path("f").c_str(), O_CREAT | O_EXCL | O_RDWR, 0644);
  ASSERT_GE(fd, 0) << strerror(errno);
  ExpectOneCrashWithResend();
  ASSERT_EQ(write(fd, "data", 4), 4);
  ASSERT_EQ(unlink(Path("f").c_str()), 0);
  struct statvfs now {};
  ASSERT_EQ(statvfs(mnt_.c_str(), &now), 0);
  EXPECT_EQ(now.f_ffree, before.f_ffree - 1) << "the open file is kept";
  ASSERT_EQ(close(fd), 0);
  for (int i = 0; i < 100 && now.f_ffree != before.f_ffree; ++i) {
    usleep(50000);
    std::ofstream("/proc/sys/vm/drop_caches") << "2\n";
    ASSERT_EQ(statvfs(mnt_.c_str(), &now), 0);
  }
  EXPECT_EQ(now.f_ffree, before.f_ffree)
      << "the inode was not freed at the kernel's FORGET";
  UnmountAndCheck();
}

// A RENAME_EXCHANGE killed at "mid-rename": across directories between
// its two entry rewrites (one inode has two names, the other none, and the
// shipped hook's e2fsck -fy links that one into lost+found or, if it is
// an empty file, would clear it); in one directory after its one rewrite
// (done on the image, not logged). The resent exchange ends with the names
// swapped once, the inodes and their link counts as before, nothing left
// in lost+found, and e2fsck finding nothing.
struct ExchangeCase {
  const char* name;
  const char* from;
  const char* to;
  const char* from_data;  // nullptr: a directory
  const char* to_data;
  bool hard_link = false;  // `from` has a second name
};

class ReplayExchangeTest
    : public ReplayCrashTest,
      public ::testing::WithParamInterface<ExchangeCase> {
 protected:
  void Make(const std::string& path, const char* data) {
    if (data == nullptr) {
      ASSERT_EQ(mkdir(path.c_str(), 0755), 0);
      std::ofstream(path + "/inside") << "inside";
    } else {
      std::ofstream(path) << data;
    }
  }

  void ExpectHolds(const std::string& path, const char* data) {
    if (data == nullptr) {
      EXPECT_EQ(ReadAll(path + "/inside"), "inside");
      EXPECT_EQ(Links(path), 2u);
    } else {
      EXPECT_EQ(ReadAll(path), data);
    }
  }

  static ino_t Ino(const std::string& path) {
    struct stat st {};
    return lstat(path.c_str(), &st) == 0 ? st.st_ino : 0;
  }
};

TEST_P(ReplayExchangeTest, ResentExchangeSwapsOnce) {
  const ExchangeCase& c = GetParam();
  std::string from = Path(c.from), to = Path(c.to);
  ASSERT_NO_FATAL_FAILURE(MountArmed("mid-rename", [&] {
    ASSERT_EQ(mkdir(Path("a").c_str(), 0755), 0);
    ASSERT_EQ(mkdir(Path("b").c_str(), 0755), 0);
    Make(from, c.from_data);
    Make(to, c.to_data);
    if (c.hard_link) {
      ASSERT_EQ(link(from.c_str(), Path("a/hardlink").c_str()), 0);
    }
  }));
  ino_t a = Ino(from), b = Ino(to);
  nlink_t a_parent = Links(Path("a")), b_parent = Links(Path("b"));
  ASSERT_EQ(renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(),
                      RENAME_EXCHANGE),
            0)
      << strerror(errno);
  ExpectOneCrashWithResend();
  if (c.from[0] != c.to[0]) {
    EXPECT_NE(KeeperLog().find("Connect to /lost+found? yes"),
              std::string::npos)
        << "e2fsck did not see an unattached inode\n" << KeeperLog();
  }
  EXPECT_EQ(Ino(from), b);
  EXPECT_EQ(Ino(to), a);
  ExpectHolds(from, c.to_data);
  ExpectHolds(to, c.from_data);
  if (c.hard_link) {
    EXPECT_EQ(Links(to), 2u) << "the hard link's count";
  }
  if (c.from_data == nullptr) {
    EXPECT_EQ(Ino(to + "/.."), Ino(Path(std::string(1, c.to[0]))))
        << "'..' of the directory now at " << c.to;
    a_parent--;
    b_parent++;
  }
  if (c.to_data == nullptr) {
    EXPECT_EQ(Ino(from + "/.."), Ino(Path(std::string(1, c.from[0]))))
        << "'..' of the directory now at " << c.from;
    a_parent++;
    b_parent--;
  }
  EXPECT_EQ(Links(Path("a")), a_parent);
  EXPECT_EQ(Links(Path("b")), b_parent);
  EXPECT_FALSE(Exists(Path("lost+found/#" + std::to_string(a))));
  EXPECT_FALSE(Exists(Path("lost+found/#" + std::to_string(b))));
  UnmountAndCheck();
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ReplayExchangeTest,
    ::testing::Values(
        ExchangeCase{"SameDirectory", "a/f", "a/g", "A", "B", true},
        ExchangeCase{"OtherDirectory", "a/f", "b/g", "A", "B"},
        ExchangeCase{"OtherDirectoryHardLinked", "a/f", "b/g", "A", "B", true},
        ExchangeCase{"WithAnEmptyFile", "a/f", "b/g", "A", ""},
        ExchangeCase{"EmptyWithAFile", "a/f", "b/g", "", "B"},
        ExchangeCase{"DirectoryWithAFile", "a/d", "b/g", nullptr, "B"},
        ExchangeCase{"FileWithADirectory", "a/f", "b/e", "A", nullptr},
        ExchangeCase{"TwoDirectories", "a/d", "b/e", nullptr, nullptr},
        ExchangeCase{"TwoDirectoriesInOne", "a/d", "a/e", nullptr, nullptr}),
    [](const auto& info) { return std::string(info.param.name); });

// Two empty files exchanged across directories: at "mid-rename" one of
// them has no name, and e2fsck clears it. The resent exchange cannot
// bring it back and says so (EIO: the VFS would retry an ESTALE rename and
// call it a success), and the image stays consistent.
TEST_F(ReplayCrashTest, ExchangeOfClearedFileFails) {
  ASSERT_NO_FATAL_FAILURE(MountArmed("mid-rename", [&] {
    ASSERT_EQ(mkdir(Path("a").c_str(), 0755), 0);
    ASSERT_EQ(mkdir(Path("b").c_str(), 0755), 0);
    std::ofstream(Path("a/f"));
    std::ofstream(Path("b/g"));
  }));
  EXPECT_EQ(renameat2(AT_FDCWD, Path("a/f").c_str(), AT_FDCWD,
                      Path("b/g").c_str(), RENAME_EXCHANGE),
            -1);
  EXPECT_EQ(errno, EIO) << KeeperLog();
  ExpectOneCrashWithResend();
  UnmountAndCheck();
}

}  // namespace
}  // namespace ext4fh
