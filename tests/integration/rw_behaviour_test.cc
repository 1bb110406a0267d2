// Read-write behaviour that needs more than a syscall script: open-unlinked
// files and orphans, running out of space (compared with the kernel's ext4)
// and inodes, link-count limits,
// generations of reused inodes, the clean flag, the errors= policies on a
// corrupted image, multiple-mount protection, FITRIM, and what is on the
// image the moment unmount returns.

#include <dirent.h>
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <string>
#include <functional>
#include <map>
#include <set>
#include <thread>

#include "testutil/images.h"
#include "testutil/mounts.h"
#include "testutil/run_as.h"
#include "testutil/subprocess.h"
#include "testutil/temp_dir.h"

namespace ext4fh {
namespace {

using ::testing::AnyOf;
using ::testing::ContainsRegex;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::Not;
using testutil::Ext4fhMount;
using testutil::KernelMount;

std::string Pattern(size_t n, int seed) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) {
    s[i] = static_cast<char>((i * 7919 + seed * 31 + (i >> 9)) & 0xff);
  }
  return s;
}

bool WriteFile(const std::string& path, const std::string& data) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) {
    return false;
  }
  bool ok = write(fd, data.data(), data.size()) == static_cast<ssize_t>(data.size());
  return close(fd) == 0 && ok;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

uint64_t FreeBlocks(const std::string& mnt) {
  struct statvfs st {};
  statvfs(mnt.c_str(), &st);
  return st.f_bfree;
}

std::string SuperField(const std::string& image, const std::string& field) {
  std::string out = testutil::Run({"dumpe2fs", "-h", image}).out;
  size_t at = out.find(field + ":");
  if (at == std::string::npos) {
    return "";
  }
  size_t end = out.find('\n', at);
  std::string value = out.substr(at + field.size() + 1, end - at - field.size() - 1);
  return value.substr(value.find_first_not_of(' '));
}

// Polls `pred` for up to `ms` milliseconds (the kernel sends FORGET
// asynchronously after the last close).
template <typename Pred>
bool Eventually(Pred pred, int ms = 3000) {
  for (int waited = 0; waited < ms; waited += 20) {
    if (pred()) {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return pred();
}

class RwTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testutil::FuseAvailable()) {
      GTEST_SKIP() << "needs /dev/fuse";
    }
    image_ = dir_.Join("fs.img");
    mnt_ = dir_.Join("mnt");
    mkdir(mnt_.c_str(), 0755);
  }
  void Make(const std::vector<std::string>& args, const std::string& size) {
    testutil::MakeFs(image_, args, "", size);
  }
  void Mount(const std::vector<std::string>& options = {}) {
    std::string error;
    fuse_ = Ext4fhMount::Start(image_, mnt_, options, &error);
    ASSERT_NE(fuse_, nullptr) << error;
  }
  void UnmountAndCheck() {
    ASSERT_EQ(fuse_->Unmount(), 0);
    testutil::CommandResult r = testutil::Fsck(image_);
    EXPECT_EQ(r.exit_code, 0) << r.out;
  }
  // Every test that mounted leaves the image clean for e2fsck.
  void TearDown() override {
    if (fuse_) {
      UnmountAndCheck();
    }
  }
  std::string M(const std::string& rel) const { return mnt_ + "/" + rel; }
  // A read-write kernel mount of `image` at <dir>/k, or null with `error`.
  std::unique_ptr<KernelMount> MountKernel(const std::string& image,
                                           std::string* error) {
    std::string kmnt = KernelDir();
    mkdir(kmnt.c_str(), 0755);
    return KernelMount::Start(image, kmnt, false, error);
  }
  std::string KernelDir() const { return dir_.Join("k"); }
  // What `fill` gives on a kernel mount of `kimage` (a copy of the image
  // as it was before the test) after the file "keep" is written there as on
  // the ext4fh side.
  std::string FillOnKernel(
      const std::string& kimage, const std::string& keep,
      const std::function<std::string(const std::string&)>& fill) {
    std::string error;
    auto kernel = MountKernel(kimage, &error);
    if (kernel == nullptr) {
      ADD_FAILURE() << error;
      return "";
    }
    EXPECT_TRUE(WriteFile(KernelDir() + "/keep", keep));
    std::string out = fill(KernelDir());
    EXPECT_TRUE(kernel->Unmount());
    return out;
  }

  testutil::TempDir dir_;
  std::string image_, mnt_;
  std::unique_ptr<Ext4fhMount> fuse_;
};

TEST_F(RwTest, OpenUnlinkedFileLivesUntilClosedThenIsFreed) {
  Make({"-t", "ext4"}, "64M");
  Mount();
  ASSERT_TRUE(WriteFile(M("victim"), Pattern(4 << 20, 1)));
  uint64_t with_file = FreeBlocks(mnt_);
  int fd = open(M("victim").c_str(), O_RDWR);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(unlink(M("victim").c_str()), 0);
  struct stat st {};
  ASSERT_EQ(fstat(fd, &st), 0);
  EXPECT_EQ(st.st_nlink, 0u);
  EXPECT_EQ(access(M("victim").c_str(), F_OK), -1);
  EXPECT_NE(SuperField(image_, "First orphan inode"), "") << "on the orphan list";
  std::string more = "written after unlink";
  ASSERT_EQ(pwrite(fd, more.data(), more.size(), 100), static_cast<ssize_t>(more.size()));
  std::string back(more.size(), '\0');
  ASSERT_EQ(pread(fd, back.data(), back.size(), 100), static_cast<ssize_t>(back.size()));
  EXPECT_EQ(back, more);
  EXPECT_LE(FreeBlocks(mnt_), with_file) << "blocks stay in use while open";
  close(fd);
  EXPECT_TRUE(Eventually([&] { return FreeBlocks(mnt_) > with_file + 1000; }))
      << "blocks are freed after the close";
  EXPECT_TRUE(Eventually([&] { return SuperField(image_, "First orphan inode").empty(); }));
  UnmountAndCheck();
}

TEST_F(RwTest, OrphansStillOpenAtUnmountAreFreed) {
  Make({"-t", "ext4"}, "64M");
  Mount();
  ASSERT_TRUE(WriteFile(M("a"), Pattern(1 << 20, 2)));
  int fd = open(M("a").c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(unlink(M("a").c_str()), 0);
  // A lazy unmount with the file still open; the close ends the mount.
  ASSERT_EQ(testutil::Run({"fusermount3", "-u", "-z", mnt_}).exit_code, 0);
  close(fd);
  EXPECT_EQ(fuse_->Unmount(), 0);
  EXPECT_EQ(SuperField(image_, "First orphan inode"), "");
  testutil::CommandResult r = testutil::Fsck(image_);
  EXPECT_EQ(r.exit_code, 0) << r.out;
}

// Appends to `path` in chunks of 1 MiB, then 64 KiB, 4 KiB, 1 KiB and 1
// byte, each size until a write fails, so that the last block the caller
// may use is taken; then fsyncs (the kernel's delayed allocation). Returns
// the errno that stopped each size and the fsync result.
std::string Fill(const std::string& path) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (fd < 0) {
    return std::string("open ") + strerrorname_np(errno);
  }
  std::string chunk = Pattern(1 << 20, 4);
  std::string out = "fill";
  for (size_t size : {size_t{1} << 20, size_t{65536}, size_t{4096},
                      size_t{1024}, size_t{1}}) {
    while (write(fd, chunk.data(), size) > 0) {
    }
    out += std::string(" ") + strerrorname_np(errno);
  }
  out += fsync(fd) == 0 ? " fsync OK"
                        : std::string(" fsync ") + strerrorname_np(errno);
  close(fd);
  return out;
}

// statfs of `mnt` after a syncfs: free blocks and the blocks available
// to unprivileged users.
std::string Statfs(const std::string& mnt) {
  int fd = open(mnt.c_str(), O_RDONLY | O_DIRECTORY);
  syncfs(fd);
  close(fd);
  struct statvfs st {};
  statvfs(mnt.c_str(), &st);
  return " bfree=" + std::to_string(st.f_bfree) +
         " bavail=" + std::to_string(st.f_bavail);
}

// What still works on a full filesystem: calls that need no block
// (an empty file, a fast symlink, an in-inode xattr) and calls that
// need one (a directory, a byte of data, a slow symlink, an xattr
// block, a second directory block: how many entries fit in the first
// one depends on the directory's layout, so only whether the directory
// could grow is reported). Names start with `p`.
std::string AfterFull(const std::string& root, const std::string& p) {
  auto result = [](int rc) {
    return rc >= 0 ? std::string("OK") : std::string(strerrorname_np(errno));
  };
  const std::string dir = root + "/" + p + "dir",
                    file = root + "/" + p + "empty";
  std::string out = " mkdir=" + result(mkdir(dir.c_str(), 0755));
  int fd = open(file.c_str(), O_WRONLY | O_CREAT, 0644);
  out += " create=" + result(fd);
  close(fd);
  fd = open((root + "/" + p + "byte").c_str(), O_WRONLY | O_CREAT, 0644);
  out += " write=" + result(fd < 0 ? -1 : static_cast<int>(write(fd, "x", 1)));
  out += " fsync=" + result(fd < 0 ? -1 : fsync(fd));
  close(fd);
  out +=
      " fastsym=" + result(symlink("short", (root + "/" + p + "fast").c_str()));
  out += " slowsym=" + result(symlink(std::string(200, 'a').c_str(),
                                      (root + "/" + p + "slow").c_str()));
  out += " xattr=" + result(setxattr(file.c_str(), "user.s", "v", 1, 0));
  std::string big(3000, 'b');
  out += " bigxattr=" +
         result(setxattr(file.c_str(), "user.big", big.data(), big.size(), 0));
  int made = 0;
  for (; made < 120; ++made) {  // 120 entries need a second 1 KiB block
    fd = open((root + "/" + p + "many" + std::to_string(1000 + made)).c_str(),
              O_WRONLY | O_CREAT, 0644);
    if (fd < 0) {
      break;
    }
    close(fd);
  }
  out += " dir_grows=" + (made < 120 ? result(-1) : "OK");
  return out;
}

// Fills the image first as nobody (who may not use the blocks reserved for
// root, -m 5), then as root, and after each fill compares with the
// kernel's ext4 on an identical image filled the same way: the errnos,
// statfs (the kernel leaves only its reserves: f_bavail 0, f_bfree the
// root-reserved blocks plus s_resv_clusters), and what still works.
std::string FillAndTry(const std::string& root, const std::string& prefix) {
  std::string out = Fill(root + "/" + prefix + "fill");  // in this order
  out += Statfs(root);
  out += AfterFull(root, prefix);
  out += Statfs(root);
  return out;
}

std::string FillAsNobodyThenRoot(const std::string& root) {
  std::string out =
      "nobody: " + testutil::RunAs(testutil::kNobody, testutil::kNobody,
                                   [&] { return FillAndTry(root, "n_"); });
  return out + "\nroot: " + FillAndTry(root, "r_");
}

TEST_F(RwTest, RunningOutOfSpaceFailsCleanlyAndDeletingFreesIt) {
  Make({"-t", "ext4"}, "16M");       // 1 KiB blocks, 5 % reserved for root
  chmod(dir_.path().c_str(), 0755);  // nobody must reach the mounts
  std::string kimage = dir_.Join("kernel.img");
  testutil::CopyImage(image_, kimage);
  Mount({"-o", "allow_other"});
  std::string keep = Pattern(100000, 3);
  ASSERT_TRUE(WriteFile(M("keep"), keep));
  auto open_and_fill = [](const std::string& root) {
    EXPECT_EQ(chmod(root.c_str(), 0777), 0);
    return FillAsNobodyThenRoot(root);
  };
  std::string fuse = open_and_fill(mnt_);
  // Each fill stops with ENOSPC at every chunk size and leaves nothing
  // available to nobody (f_bavail 0): full to the last block it may use.
  EXPECT_THAT(fuse, MatchesRegex("nobody: fill( ENOSPC){5} fsync OK "
                                 "bfree=[0-9]+ bavail=0 .*\n"
                                 "root: fill( ENOSPC){5} fsync OK "
                                 "bfree=[0-9]+ bavail=0 .*"));
  EXPECT_EQ(ReadFile(M("keep")), keep) << "unrelated file untouched";
  if (testutil::KernelMountAvailable()) {
    EXPECT_EQ(fuse, FillOnKernel(kimage, keep, open_and_fill))
        << "ext4fh, then the kernel";
  }
  UnmountAndCheck();
  Mount();
  ASSERT_EQ(unlink(M("n_fill").c_str()), 0);
  ASSERT_EQ(unlink(M("r_fill").c_str()), 0);
  EXPECT_TRUE(Eventually([&] { return FreeBlocks(mnt_) > 8000; }));
  EXPECT_TRUE(WriteFile(M("again"), Pattern(4 << 20, 5))) << "space is back";
  EXPECT_EQ(ReadFile(M("keep")), keep);
  UnmountAndCheck();
}

// Creates files in `root` until that fails, then tries every other kind of
// inode; returns what each gave and what statfs says is left.
std::string FillInodes(const std::string& root) {
  int created = 0;
  std::string out;
  for (;; ++created) {
    int fd = open((root + "/f" + std::to_string(created)).c_str(),
                  O_WRONLY | O_CREAT, 0644);
    if (fd < 0) {
      out = "open " + std::string(strerrorname_np(errno));
      break;
    }
    close(fd);
  }
  auto outcome = [](int rc) {
    return rc == 0 ? std::string("OK") : std::string(strerrorname_np(errno));
  };
  out += " mkdir " + outcome(mkdir((root + "/d").c_str(), 0755));
  out += " symlink " + outcome(symlink("target", (root + "/s").c_str()));
  out += " mknod " + outcome(mknod((root + "/p").c_str(), S_IFIFO | 0644, 0));
  out += " link " + outcome(link((root + "/f0").c_str(), (root + "/l").c_str()));
  struct statvfs sv {};
  statvfs(root.c_str(), &sv);
  return "created=" + std::to_string(created) + " " + out +
         " ffree=" + std::to_string(sv.f_ffree);
}

TEST_F(RwTest, RunningOutOfInodesFailsCleanly) {
  Make({"-t", "ext4", "-N", "64"}, "16M");
  std::string kimage = dir_.Join("kernel.img");
  testutil::CopyImage(image_, kimage);
  std::string keep = Pattern(50000, 4);
  Mount();
  ASSERT_TRUE(WriteFile(M("keep"), keep));
  std::string fuse = FillInodes(mnt_);
  EXPECT_THAT(fuse, MatchesRegex("created=[0-9]+ open ENOSPC mkdir ENOSPC "
                                 "symlink ENOSPC mknod ENOSPC link OK ffree=0"));
  EXPECT_EQ(ReadFile(M("keep")), keep) << "unrelated file untouched";
  if (testutil::KernelMountAvailable()) {
    EXPECT_EQ(fuse, FillOnKernel(kimage, keep, FillInodes))
        << "ext4fh, then the kernel";
  }
  ASSERT_EQ(unlink(M("f0").c_str()), 0);
  ASSERT_EQ(unlink(M("l").c_str()), 0);  // f0's other link
  EXPECT_TRUE(Eventually([&] {
    int fd = open(M("again").c_str(), O_WRONLY | O_CREAT, 0644);
    if (fd >= 0) {
      close(fd);
    }
    return fd >= 0;
  })) << "the freed inode is usable again";
  EXPECT_EQ(ReadFile(M("keep")), keep);
  UnmountAndCheck();
}

// link(2) stops at ext4's limit of 65000 links (the count is preset with
// debugfs: making 65000 real links would take minutes), like the kernel.
TEST_F(RwTest, LinkStopsAtTheExt4Limit) {
  Make({"-t", "ext4"}, "64M");
  ASSERT_TRUE(testutil::Run({"debugfs", "-w", "-R", "write /dev/null f", image_})
                  .exit_code == 0);
  testutil::Run({"debugfs", "-w", "-R", "sif f links_count 64999", image_});
  std::string kimage = dir_.Join("kernel.img");
  testutil::CopyImage(image_, kimage);
  auto try_links = [](const std::string& root) {
    std::string out;
    for (const char* name : {"l1", "l2"}) {
      int rc = link((root + "/f").c_str(), (root + "/" + name).c_str());
      out += rc == 0 ? "OK " : std::string(strerrorname_np(errno)) + " ";
    }
    return out;
  };
  Mount();
  std::string fuse = try_links(mnt_);
  ASSERT_EQ(fuse_->Unmount(), 0);
  fuse_.reset();  // e2fsck rejects the link count debugfs set, on purpose
  EXPECT_EQ(fuse, "OK EMLINK ");
  if (testutil::KernelMountAvailable()) {
    std::string error;
    auto kernel = MountKernel(kimage, &error);
    ASSERT_NE(kernel, nullptr) << error;
    EXPECT_EQ(try_links(KernelDir()), fuse);
  }
}

TEST_F(RwTest, ReusedInodeNumbersGetNewGenerations) {
  Make({"-t", "ext4"}, "64M");
  Mount();
  std::map<ino_t, std::set<uint64_t>> seen;
  int reuses = 0;
  for (int round = 0; round < 20; ++round) {
    std::string path = M("g");
    int fd = open(path.c_str(), O_RDWR | O_CREAT, 0644);
    ASSERT_GE(fd, 0);
    unsigned long generation = 0;
    ASSERT_EQ(ioctl(fd, FS_IOC_GETVERSION, &generation), 0);
    struct stat st {};
    fstat(fd, &st);
    close(fd);
    reuses += seen.count(st.st_ino) ? 1 : 0;
    EXPECT_TRUE(seen[st.st_ino].insert(generation).second)
        << "inode " << st.st_ino << " got generation " << generation << " again";
    ASSERT_EQ(unlink(path.c_str()), 0);
    uint64_t free_inodes = 0;
    Eventually([&] {  // wait for the inode to be released
      struct statvfs sv {};
      statvfs(mnt_.c_str(), &sv);
      bool released = sv.f_ffree > free_inodes && free_inodes != 0;
      free_inodes = sv.f_ffree;
      return released;
    }, 300);
  }
  EXPECT_GT(reuses, 0) << "the test needs inode numbers to be reused";
  UnmountAndCheck();
}

TEST_F(RwTest, CleanFlagIsClearedWhileMountedAndSetAtUnmount) {
  Make({"-t", "ext4"}, "64M");
  EXPECT_EQ(SuperField(image_, "Filesystem state"), "clean");
  Mount();
  EXPECT_EQ(SuperField(image_, "Filesystem state"), "not clean");
  ASSERT_EQ(fuse_->Unmount(), 0);
  EXPECT_EQ(SuperField(image_, "Filesystem state"), "clean");
}

TEST_F(RwTest, ReadOnlyMountNeverWrites) {
  Make({"-t", "ext4"}, "64M");
  std::string before = testutil::Run({"sha256sum", image_}).out.substr(0, 64);
  Mount({"-o", "ro"});
  EXPECT_EQ(mkdir(M("x").c_str(), 0755), -1);
  EXPECT_EQ(errno, EROFS);
  ASSERT_EQ(fuse_->Unmount(), 0);
  EXPECT_EQ(testutil::Run({"sha256sum", image_}).out.substr(0, 64), before);
}

TEST_F(RwTest, EverythingIsOnTheImageWhenUnmountReturns) {
  Make({"-t", "ext4"}, "64M");
  Mount();
  std::string data = Pattern(300000, 6);
  ASSERT_TRUE(WriteFile(M("file"), data));
  ASSERT_EQ(mkdir(M("dir").c_str(), 0755), 0);
  ASSERT_EQ(symlink("file", M("dir/link").c_str()), 0);
  ASSERT_EQ(testutil::Run({"fusermount3", "-u", mnt_}).exit_code, 0);
  // No waiting for the server: every reply came after its change was on
  // the image.
  testutil::CommandResult dump =
      testutil::Run({"debugfs", "-R", "dump /file " + dir_.Join("out"), image_});
  EXPECT_EQ(ReadFile(dir_.Join("out")), data);
  EXPECT_THAT(testutil::Run({"debugfs", "-R", "ls -l /dir", image_}).out,
              HasSubstr("link"));
  testutil::CommandResult r = testutil::Fsck(image_);
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(fuse_->Unmount(), 0);
}

// Corrupts the first block of directory /d.
void CorruptDirectory(const std::string& image) {
  std::string blocks = testutil::Run({"debugfs", "-R", "blocks /d", image}).out;
  uint64_t block = std::stoull(blocks);
  uint64_t bs = 4096;
  std::fstream f(image, std::ios::in | std::ios::out | std::ios::binary);
  f.seekp(static_cast<std::streamoff>(block * bs));
  std::string junk(bs, '\x5a');
  f.write(junk.data(), static_cast<std::streamsize>(junk.size()));
}

class ErrorsPolicyTest : public RwTest {
 protected:
  // The image is corrupt on purpose: only unmount (the mount's destructor).
  void TearDown() override {}
  // A directory d whose block is garbage, on an image whose superblock
  // says `behaviour` (tune2fs -e) when it is not empty.
  void Prepare(const std::string& behaviour = "") {
    Make({"-t", "ext4", "-b", "4096"}, "64M");
    Mount();
    ASSERT_EQ(mkdir(M("d").c_str(), 0755), 0);
    ASSERT_TRUE(WriteFile(M("d/f"), "x"));
    struct stat st {};
    ASSERT_EQ(stat(M("d").c_str(), &st), 0);
    dir_ino_ = st.st_ino;
    ASSERT_EQ(fuse_->Unmount(), 0);
    if (!behaviour.empty()) {
      ASSERT_EQ(testutil::Run({"tune2fs", "-e", behaviour, image_}).exit_code, 0);
    }
    CorruptDirectory(image_);
  }
  int ListCorrupt() {
    DIR* d = opendir(M("d").c_str());
    if (d == nullptr) {
      return errno;
    }
    errno = 0;
    while (readdir(d) != nullptr) {
    }
    int err = errno;
    closedir(d);
    return err;
  }
  ino_t dir_ino_ = 0;
};

// The superblock shows the error as one the kernel's ext4 recorded would
// (dumpe2fs), and e2fsck -p forces a check for it and stops, as it does
// for a directory block the kernel found corrupt.
TEST_F(ErrorsPolicyTest, ContinueRecordsTheErrorAndKeepsWriting) {
  Prepare();
  Mount({"-o", "errors=continue"});
  EXPECT_EQ(ListCorrupt(), EUCLEAN);
  EXPECT_TRUE(WriteFile(M("still"), "writable"));
  ASSERT_EQ(fuse_->Unmount(), 0);
  EXPECT_THAT(SuperField(image_, "Filesystem state"), HasSubstr("with errors"));
  EXPECT_EQ(SuperField(image_, "FS Error count"), "1");
  for (const std::string which : {"First", "Last"}) {
    EXPECT_THAT(SuperField(image_, which + " error time"), ContainsRegex("20[0-9][0-9]$"));
    EXPECT_EQ(SuperField(image_, which + " error function"), "ReadDir");
    EXPECT_THAT(SuperField(image_, which + " error line #"), MatchesRegex("[1-9][0-9]*"));
    EXPECT_EQ(SuperField(image_, which + " error inode #"), std::to_string(dir_ino_));
    // The block fails its checksum: the kernel records EFSBADCRC too.
    EXPECT_EQ(SuperField(image_, which + " error err"), "EFSBADCRC");
  }
  EXPECT_NE(testutil::Fsck(image_).exit_code, 0) << "e2fsck sees the damage";
  testutil::CommandResult preen = testutil::Run({"e2fsck", "-p", image_});
  EXPECT_EQ(preen.exit_code, 4) << preen.out << preen.err;
  EXPECT_THAT(preen.out, HasSubstr("contains a file system with errors, check forced"));
}

TEST_F(ErrorsPolicyTest, ALaterErrorKeepsTheFirstAndCounts) {
  Prepare();
  Mount({"-o", "errors=continue"});
  EXPECT_EQ(ListCorrupt(), EUCLEAN);
  EXPECT_EQ(mkdir(M("d/x").c_str(), 0755), -1);
  EXPECT_EQ(errno, EUCLEAN);
  ASSERT_EQ(fuse_->Unmount(), 0);
  EXPECT_EQ(SuperField(image_, "FS Error count"), "2");
  EXPECT_EQ(SuperField(image_, "First error function"), "ReadDir");
  EXPECT_NE(SuperField(image_, "Last error function"), "ReadDir");
}

TEST_F(ErrorsPolicyTest, RemountReadOnlyStopsWrites) {
  Prepare();
  Mount({"-o", "errors=remount-ro"});
  EXPECT_EQ(ListCorrupt(), EUCLEAN);
  EXPECT_FALSE(WriteFile(M("after"), "x"));
  EXPECT_EQ(errno, EROFS);
  ASSERT_EQ(fuse_->Unmount(), 0);
  EXPECT_THAT(SuperField(image_, "Filesystem state"), HasSubstr("with errors"));
}

// Without -o errors=, the image's own setting (tune2fs -e) applies.
TEST_F(ErrorsPolicyTest, SuperblockRemountReadOnlyIsTheDefault) {
  Prepare("remount-ro");
  Mount();
  EXPECT_EQ(ListCorrupt(), EUCLEAN);
  EXPECT_FALSE(WriteFile(M("after"), "x"));
  EXPECT_EQ(errno, EROFS);
  ASSERT_EQ(fuse_->Unmount(), 0);
}

TEST_F(ErrorsPolicyTest, ErrorsOptionOverridesTheSuperblock) {
  Prepare("panic");
  Mount({"-o", "errors=continue"});
  EXPECT_EQ(ListCorrupt(), EUCLEAN);
  EXPECT_TRUE(WriteFile(M("still"), "writable"));
  ASSERT_EQ(fuse_->Unmount(), 0);
}

TEST_F(ErrorsPolicyTest, PanicStopsTheServerAndUnmounts) {
  Prepare("panic");
  Mount();
  ListCorrupt();
  EXPECT_TRUE(Eventually([&] { return !testutil::IsMounted(mnt_); }, 10000));
  EXPECT_NE(fuse_->Unmount(), 0) << "the keeper reports the failure";
  EXPECT_THAT(SuperField(image_, "Filesystem state"), HasSubstr("with errors"));
}

// With -o nofsck; the shipped hook would repair it (cli_test).
TEST_F(ErrorsPolicyTest, AnImageWithErrorsIsRefusedNextTimeWithoutHooks) {
  Prepare();
  Mount();
  ListCorrupt();
  ASSERT_EQ(fuse_->Unmount(), 0);
  std::string error;
  auto again = Ext4fhMount::Start(image_, mnt_, {"-o", "nofsck"}, &error);
  EXPECT_EQ(again, nullptr);
  EXPECT_THAT(error, HasSubstr("e2fsck"));
}

TEST_F(RwTest, MultipleMountProtectionKeepsOthersOut) {
  Make({"-t", "ext4", "-O", "mmp"}, "64M");
  Mount();  // runs the MMP protocol: about 11 s
  // The MMP block says "in use" (other hosts check it); on this host the
  // keeper's guard refuses writers even before they get to read it.
  std::string mmp = testutil::Run({"debugfs", "-c", "-R", "dump_mmp", image_}).out;
  EXPECT_THAT(mmp, ContainsRegex("\nsequence: [0-9a-f]+\n"));
  EXPECT_THAT(mmp, Not(HasSubstr("sequence: ff4d4d50"))) << "clean";
  EXPECT_THAT(mmp, ContainsRegex("update_interval: [1-9]"));
  testutil::CommandResult fuse2fs =
      testutil::Run({"fuse2fs", image_, dir_.Join("other")}, 60);
  EXPECT_NE(fuse2fs.exit_code, 0);
  EXPECT_THAT(fuse2fs.out + fuse2fs.err,
              AnyOf(HasSubstr("MMP"), HasSubstr("Text file busy")));
  if (testutil::KernelMountAvailable()) {
    std::string error;
    // Read-write: the kernel checks MMP only then.
    auto kernel = MountKernel(image_, &error);
    EXPECT_EQ(kernel, nullptr) << "the kernel must refuse";
  }
  // A copy has neither the guard nor the lock, as the image would be for
  // another host sharing its storage: MMP alone makes the others refuse.
  std::string copy = dir_.Join("copy.img");
  testutil::CopyImage(image_, copy);
  fuse2fs = testutil::Run({"fuse2fs", copy, dir_.Join("other")}, 60);
  EXPECT_NE(fuse2fs.exit_code, 0);
  EXPECT_THAT(fuse2fs.out + fuse2fs.err, HasSubstr("MMP"));
  if (testutil::KernelMountAvailable()) {
    std::string error;
    auto kernel = testutil::KernelMount::Start(copy, KernelDir(), false, &error);
    EXPECT_EQ(kernel, nullptr) << "the kernel must refuse the copy";
    EXPECT_THAT(testutil::Run({"dmesg"}).out, HasSubstr("MMP"));
  }
  UnmountAndCheck();
  EXPECT_THAT(testutil::Run({"dumpe2fs", "-h", image_}).out,
              HasSubstr("mmp_sequence: 0xff4d4d50"))
      << "clean MMP after unmount";
}

TEST_F(RwTest, FitrimPunchesFreeSpaceOutOfTheImage) {
  Make({"-t", "ext4", "-E", "nodiscard"}, "64M");
  Mount();
  ASSERT_TRUE(WriteFile(M("big"), Pattern(20 << 20, 7)));
  ASSERT_EQ(unlink(M("big").c_str()), 0);
  Eventually([&] { return FreeBlocks(mnt_) > 10000; });
  struct stat before {};
  stat(image_.c_str(), &before);
  testutil::CommandResult r = testutil::Run({"fstrim", "-v", mnt_});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("trimmed"));
  struct stat after {};
  stat(image_.c_str(), &after);
  EXPECT_LT(after.st_blocks + (15 << 20) / 512, before.st_blocks)
      << "the freed 20 MiB are holes in the image now";
  UnmountAndCheck();
}

}  // namespace
}  // namespace ext4fh
