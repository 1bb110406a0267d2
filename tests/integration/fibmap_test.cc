// FIBMAP, FIGETBSZ and FIEMAP through ext4fh, against the kernel's ext4
// (issue 3: bmap). ext4fh mounts two ways (fuse/mount.cc): as root,
// fuseblk over a loop device on the image; otherwise plain FUSE.
//
// What the kernel (6.x) does:
// - The VFS answers FIBMAP itself (fs/ioctl.c ioctl_fibmap), for regular
//   files only: EPERM without CAP_SYS_RAWIO, EINVAL for a negative block,
//   else the address_space's bmap, in units of the superblock's block size.
// - fuse_bmap sends FUSE_BMAP only when the superblock has a block device:
//   on a plain FUSE mount it returns 0 without asking the server, so every
//   block reads as a hole (FIBMAP succeeds with 0 where ext4 gives the
//   physical block) and ext4fh's bmap handler is never called. On fuseblk
//   it asks, and ext4fh answers the image's block, which is the loop
//   device's, in units of the mount's blksize (4096).
// - FIBMAP on a directory is not the VFS's: it goes to the filesystem's
//   ioctl, which answers ENOTTY (on FUSE, ext4fh does, for any user).
// - FIGETBSZ is the superblock's block size: ext4's block size; on FUSE
//   PAGE_SIZE (plain) or the blksize= mount option (fuseblk). st_blksize
//   is the server's.
// - FIEMAP needs an inode fiemap op, which FUSE lacks: EOPNOTSUPP.

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <linux/falloc.h>
#include <linux/fiemap.h>
#include <linux/fs.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

#include "testutil/images.h"
#include "testutil/mounts.h"
#include "testutil/run_as.h"
#include "testutil/subprocess.h"
#include "testutil/temp_dir.h"

namespace ext4fh {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::string Err() {
  return strerrorname_np(errno);
}

// Creates, with block size `bs`: `data` with blocks 0-2 written, 3-7 a
// hole, 8 written and 9 allocated but unwritten; and `dir`. Returns "" or
// what failed.
std::string MakeFiles(const std::string& root, size_t bs) {
  int fd = open((root + "/data").c_str(), O_WRONLY | O_CREAT, 0644);
  if (fd < 0) {
    return "cannot create data in " + root + ": " + Err();
  }
  std::string block(bs, 'b');
  bool ok = true;
  for (size_t i = 0; i < 3; ++i) {
    ok = ok && write(fd, block.data(), bs) == static_cast<ssize_t>(bs);
  }
  ok = ok && pwrite(fd, block.data(), bs, 8 * bs) == static_cast<ssize_t>(bs);
  ok = ok && fallocate(fd, 0, 9 * bs, bs) == 0 && fsync(fd) == 0;
  close(fd);
  ok = ok && mkdir((root + "/dir").c_str(), 0755) == 0;
  return ok ? "" : "cannot write the files in " + root + ": " + Err();
}

constexpr int kBlocks[] = {0, 1, 2, 5, 8, 9, 100, -1};

// FIBMAP of data's blocks (as numbers), FIGETBSZ, st_blksize, FIEMAP, and
// FIBMAP of the directory.
std::string Probe(const std::string& root) {
  std::string out;
  int fd = open((root + "/data").c_str(), O_RDONLY);
  if (fd < 0) {
    return "open " + Err();
  }
  for (int block : kBlocks) {
    int b = block;
    int rc = ioctl(fd, FIBMAP, &b);
    out += "fibmap " + std::to_string(block) + "=" +
           (rc < 0 ? Err() : std::to_string(b)) + " ";
  }
  int bsz = 0;
  out += "figetbsz=" +
         (ioctl(fd, FIGETBSZ, &bsz) < 0 ? Err() : std::to_string(bsz));
  struct stat st {};
  fstat(fd, &st);
  out += " blksize=" + std::to_string(st.st_blksize);
  alignas(fiemap) char buf[sizeof(fiemap) + 8 * sizeof(fiemap_extent)] = {};
  auto* fm = reinterpret_cast<fiemap*>(buf);
  fm->fm_length = FIEMAP_MAX_OFFSET;
  fm->fm_extent_count = 8;
  out +=
      " fiemap=" + (ioctl(fd, FS_IOC_FIEMAP, fm) < 0
                        ? Err()
                        : std::to_string(fm->fm_mapped_extents) + " extents");
  close(fd);
  fd = open((root + "/dir").c_str(), O_RDONLY | O_DIRECTORY);
  int b = 0;
  out +=
      " dir fibmap=" + (ioctl(fd, FIBMAP, &b) < 0 ? Err() : std::to_string(b));
  close(fd);
  return out;
}

std::string ProbeAsNobody(const std::string& root) {
  return testutil::RunAs(testutil::kNobody, testutil::kNobody,
                         [&] { return Probe(root); });
}

// What FIBMAP must say for `data` when its blocks are at `physical` (one
// number per kBlocks entry, 0 for a hole or an unwritten block).
std::string Expected(const std::vector<std::string>& physical,
                     const std::string& rest) {
  std::string out;
  for (size_t i = 0; i < std::size(kBlocks); ++i) {
    out += "fibmap " + std::to_string(kBlocks[i]) + "=" + physical[i] + " ";
  }
  return out + rest;
}

// The physical blocks of `data` on `image`, per debugfs (0 for holes and
// unwritten blocks, EINVAL for -1).
std::vector<std::string> DebugfsBlocks(const std::string& image) {
  std::vector<std::string> out;
  for (int block : kBlocks) {
    if (block < 0) {
      out.push_back("EINVAL");
      continue;
    }
    std::string r =
        testutil::Run({"debugfs", "-c", "-R",
                       "bmap /data " + std::to_string(block), image})
            .out;
    bool unwritten = r.find("(uninit)") != std::string::npos;
    std::istringstream in(r);
    long long n = -1;
    in >> n;
    out.push_back(unwritten ? "0" : std::to_string(n));
  }
  return out;
}

// The type of the mount on `mountpoint` (/proc/self/mounts), or "".
std::string MountType(const std::string& mountpoint) {
  std::ifstream in("/proc/self/mounts");
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string source, target, type;
    fields >> source >> target >> type;
    if (target == mountpoint) {
      return type;
    }
  }
  return "";
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

class FibmapTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testutil::FuseAvailable() || !testutil::KernelMountAvailable()) {
      GTEST_SKIP() << "needs root, /dev/fuse and loop devices";
    }
    chmod(dir_.path().c_str(), 0755);  // nobody must reach the mounts
    image_ = dir_.Join("fuse.img");
    fmnt_ = dir_.Join("f");
    mkdir(fmnt_.c_str(), 0755);
  }

  // Makes the images (block size `bs`), mounts the kernel's copy and makes
  // the files in it. Returns the kernel's answers as root and as nobody.
  std::pair<std::string, std::string> Kernel(size_t bs) {
    testutil::MakeFs(image_, {"-t", "ext4", "-b", std::to_string(bs)}, "",
                     "16M");
    std::string kimage = dir_.Join("kernel.img"), kmnt = dir_.Join("k"), error;
    testutil::CopyImage(image_, kimage);
    mkdir(kmnt.c_str(), 0755);
    auto kernel = testutil::KernelMount::Start(kimage, kmnt, false, &error);
    EXPECT_NE(kernel, nullptr) << error;
    if (kernel == nullptr) {
      return {};
    }
    EXPECT_EQ(MakeFiles(kmnt, bs), "");
    std::pair<std::string, std::string> answers = {Probe(kmnt),
                                                   ProbeAsNobody(kmnt)};
    EXPECT_TRUE(kernel->Unmount());
    testutil::CommandResult r = testutil::Fsck(kimage);
    EXPECT_EQ(r.exit_code, 0) << r.out;
    // The reference: ext4 maps data's blocks to where they are.
    EXPECT_EQ(answers.first,
              Expected(DebugfsBlocks(kimage),
                       "figetbsz=" + std::to_string(bs) +
                           " blksize=" + std::to_string(bs) +
                           " fiemap=3 extents dir fibmap=ENOTTY"));
    return answers;
  }

  testutil::TempDir dir_;
  std::string image_, fmnt_;
};

const std::string kDenied =
    "fibmap 0=EPERM fibmap 1=EPERM fibmap 2=EPERM fibmap 5=EPERM "
    "fibmap 8=EPERM fibmap 9=EPERM fibmap 100=EPERM fibmap -1=EPERM ";

// Plain FUSE (forced as root: in a private mount namespace where
// /dev/loop-control is /dev/null, ext4fh cannot attach a loop device).
TEST_F(FibmapTest, PlainFuseMountAnswersZeroWithoutAskingTheServer) {
  auto [kernel_root, kernel_nobody] = Kernel(1024);
  const std::string page = std::to_string(sysconf(_SC_PAGESIZE));
  EXPECT_EQ(kernel_nobody, kDenied +
                               "figetbsz=1024 blksize=1024 "
                               "fiemap=3 extents dir fibmap=ENOTTY");
  // The child runs everything in its namespace and reports; the mount,
  // the keeper and the namespace go with it.
  std::string report = testutil::RunAs(0, 0, [&]() -> std::string {
    if (unshare(CLONE_NEWNS) != 0 ||
        mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0 ||
        mount("/dev/null", "/dev/loop-control", nullptr, MS_BIND, nullptr) !=
            0) {
      return "cannot make the namespace: " + Err();
    }
    std::string error;
    auto fuse = testutil::Ext4fhMount::Start(
        image_, fmnt_, {"-d", "-o", "allow_other"}, &error);
    if (fuse == nullptr) {
      return "cannot mount: " + error;
    }
    std::string out = "type=" + MountType(fmnt_) + "\n";
    std::string made = MakeFiles(fmnt_, 1024);
    out += made.empty() ? Probe(fmnt_) + "\n" + ProbeAsNobody(fmnt_) : made;
    out += "\nkeeper=" + std::to_string(fuse->Unmount()) + "\n";
    return out + ReadFile(fuse->log_path());
  });
  std::istringstream lines(report);
  std::string type, root, nobody, keeper;
  std::getline(lines, type);
  std::getline(lines, root);
  std::getline(lines, nobody);
  std::getline(lines, keeper);
  ASSERT_EQ(type, "type=fuse.ext4fh") << report;
  EXPECT_EQ(root, Expected({"0", "0", "0", "0", "0", "0", "0", "EINVAL"},
                           "figetbsz=" + page +
                               " blksize=1024 fiemap=EOPNOTSUPP "
                               "dir fibmap=ENOTTY"));
  EXPECT_EQ(nobody, kDenied + "figetbsz=" + page +
                        " blksize=1024 fiemap=EOPNOTSUPP dir fibmap=ENOTTY");
  EXPECT_EQ(keeper, "keeper=0");
  EXPECT_THAT(report, HasSubstr("opcode: IOCTL")) << "the directory's FIBMAP";
  EXPECT_THAT(report, Not(HasSubstr("opcode: BMAP"))) << "never reaches ext4fh";
  testutil::CommandResult r = testutil::Fsck(image_);
  EXPECT_EQ(r.exit_code, 0) << r.out;
}

// fuseblk (ext4fh's mount as root): the kernel asks, ext4fh answers with
// the image's blocks, as ext4 does for its own.
TEST_F(FibmapTest, FuseblkMountAnswersTheImagesBlocks) {
  auto [kernel_root, kernel_nobody] = Kernel(4096);
  std::string error;
  auto fuse = testutil::Ext4fhMount::Start(image_, fmnt_,
                                           {"-d", "-o", "allow_other"}, &error);
  ASSERT_NE(fuse, nullptr) << error;
  if (MountType(fmnt_) != "fuseblk.ext4fh") {
    GTEST_SKIP() << "ext4fh mounted " << MountType(fmnt_)
                 << " (no loop device?)";
  }
  ASSERT_EQ(MakeFiles(fmnt_, 4096), "");
  EXPECT_EQ(Probe(fmnt_), Expected(DebugfsBlocks(image_),
                                   "figetbsz=4096 blksize=4096 "
                                   "fiemap=EOPNOTSUPP dir fibmap=ENOTTY"));
  EXPECT_EQ(ProbeAsNobody(fmnt_),
            kDenied +
                "figetbsz=4096 blksize=4096 fiemap=EOPNOTSUPP "
                "dir fibmap=ENOTTY");
  EXPECT_EQ(kernel_nobody, kDenied +
                               "figetbsz=4096 blksize=4096 "
                               "fiemap=3 extents dir fibmap=ENOTTY");
  ASSERT_EQ(fuse->Unmount(), 0);
  EXPECT_THAT(ReadFile(fuse->log_path()), HasSubstr("opcode: BMAP"));
  testutil::CommandResult r = testutil::Fsck(image_);
  EXPECT_EQ(r.exit_code, 0) << r.out;
}

}  // namespace
}  // namespace ext4fh
