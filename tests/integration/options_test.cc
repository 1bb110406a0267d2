// Mount options and kernel interplay that other tests take for granted
// (issue 2, items 3 and 6): offset= serves a filesystem inside a
// partitioned disk image; attr_timeout and entry_timeout decide how often
// the kernel asks; FORGET and BATCH_FORGET reach the server; lookups in
// htree directories read a few blocks, not the whole directory; and
// mount.fuse3 and fstab can start ext4fh.
//
// Request and block counts come from the server's read(2) calls
// (/proc/PID/io syscr): one per FUSE request it reads, plus one per image
// block libext2fs reads (its I/O cache is off, image/commit.h).

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <functional>
#include <sstream>
#include <thread>

#include "testutil/images.h"
#include "testutil/keeper_ctl.h"
#include "testutil/mounts.h"
#include "testutil/subprocess.h"
#include "testutil/temp_dir.h"

namespace ext4fh {
namespace {

using testutil::Ext4fhMount;

// read(2)-family calls made so far by every thread of `pid`.
uint64_t ReadCalls(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/io");
  std::string key;
  uint64_t value = 0;
  while (in >> key >> value) {
    if (key == "syscr:") {
      return value;
    }
  }
  ADD_FAILURE() << "no syscr for " << pid;
  return 0;
}

void DropCaches() {
  sync();
  std::ofstream("/proc/sys/vm/drop_caches") << "2\n";
}

bool Eventually(const std::function<bool()>& condition, int timeout_ms) {
  for (int waited = 0; waited < timeout_ms; waited += 20) {
    if (condition()) {
      return true;
    }
    usleep(20000);
  }
  return condition();
}

class OptionsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testutil::FuseAvailable() || geteuid() != 0) {
      GTEST_SKIP() << "needs /dev/fuse and root";
    }
    image_ = dir_.Join("fs.img");
    mnt_ = dir_.Join("mnt");
    ASSERT_EQ(mkdir(mnt_.c_str(), 0755), 0);
  }

  // Mounts made by mount.fuse3 or mount(8) are not an Ext4fhMount: undo
  // them here, whatever the test did.
  void TearDown() override {
    if (!mnt_.empty()) testutil::UnmountDetached(mnt_);
  }

  void Mount(const std::vector<std::string>& options) {
    std::string error;
    mount_ = Ext4fhMount::Start(image_, mnt_, options, &error);
    ASSERT_NE(mount_, nullptr) << error;
    server_ = testutil::ServingServerPid(mnt_);
    ASSERT_GT(server_, 0);
  }

  uint64_t CachedInodes() {
    return std::stoull(testutil::CtlStatus(mnt_)["cached_inodes"]);
  }

  // Server read calls made by `action`, once the server is idle again.
  uint64_t ReadCallsOf(const std::function<void()>& action) {
    uint64_t before = ReadCalls(server_);
    action();
    usleep(50000);
    return ReadCalls(server_) - before;
  }

  std::string P(const std::string& rel) const { return mnt_ + "/" + rel; }

  testutil::TempDir dir_;
  std::string image_, mnt_;
  std::unique_ptr<Ext4fhMount> mount_;
  pid_t server_ = 0;
};

TEST_F(OptionsTest, ForgetsReachTheServer) {
  testutil::MakeFs(image_, {"-t", "ext4"}, "", "64M");
  Mount({});
  ASSERT_EQ(mkdir(P("d").c_str(), 0755), 0);
  for (int i = 0; i < 300; ++i) {
    std::ofstream(P("d/f" + std::to_string(i))) << i;
  }
  DropCaches();
  EXPECT_TRUE(Eventually([&] { return CachedInodes() < 10; }, 10000))
      << CachedInodes() << " still counted after the kernel dropped them";
  struct stat st;
  for (int i = 0; i < 300; ++i) {
    ASSERT_EQ(stat(P("d/f" + std::to_string(i)).c_str(), &st), 0);
  }
  EXPECT_GE(CachedInodes(), 300u);
  // Many inodes at once: the kernel batches them (BATCH_FORGET).
  DropCaches();
  EXPECT_TRUE(Eventually([&] { return CachedInodes() < 10; }, 10000))
      << CachedInodes() << " still counted after the kernel dropped them";
  EXPECT_EQ(mount_->Unmount(), 0);
}

TEST_F(OptionsTest, AttrTimeoutDecidesHowOftenTheKernelAsks) {
  testutil::MakeFs(image_, {"-t", "ext4"}, "", "64M");
  for (const char* timeout : {"0", "60"}) {
    Mount({"-o", std::string("attr_timeout=") + timeout +
                     ",entry_timeout=" + timeout});
    std::ofstream(P("f")) << "x";
    struct stat st;
    ASSERT_EQ(stat(P("f").c_str(), &st), 0);
    uint64_t calls = ReadCallsOf([&] {
      for (int i = 0; i < 100; ++i) {
        stat(P("f").c_str(), &st);
      }
    });
    if (std::string(timeout) == "0") {
      EXPECT_GE(calls, 100u) << "every stat asks the server";
    } else {
      EXPECT_LT(calls, 10u) << "stats come from the kernel's cache";
    }
    ASSERT_EQ(mount_->Unmount(), 0);
  }
}

// The seed's big/ holds 20,000 entries: hundreds of directory blocks.
TEST_F(OptionsTest, HtreeLookupsReadAFewBlocks) {
  testutil::CopyImage(testutil::TestImage("ext4"), image_);
  Mount({"-o", "ro,attr_timeout=0,entry_timeout=0"});
  struct stat dir {};
  ASSERT_EQ(stat(P("big").c_str(), &dir), 0);
  uint64_t dir_blocks = static_cast<uint64_t>(dir.st_size) / 4096;
  ASSERT_GT(dir_blocks, 50u);
  for (const char* name : {"f00000", "f07777", "f13013", "f19999"}) {
    struct stat st;
    uint64_t calls = ReadCallsOf([&] {
      ASSERT_EQ(stat((P("big/") + name).c_str(), &st), 0) << name;
    });
    EXPECT_LT(calls, 30u) << name << ": a linear scan reads up to "
                          << dir_blocks << " blocks";
  }
  uint64_t missing = ReadCallsOf([&] {
    struct stat st;
    EXPECT_EQ(stat(P("big/no-such-name").c_str(), &st), -1);
  });
  EXPECT_LT(missing, 30u) << "a linear scan reads all " << dir_blocks
                           << " blocks";
  EXPECT_EQ(mount_->Unmount(), 0);
}

// A DOS partition table (MBR) with one Linux partition.
std::string MbrWithOnePartition(uint32_t first_sector, uint32_t sectors) {
  std::string mbr(512, '\0');
  mbr[446 + 4] = static_cast<char>(0x83);  // partition type: Linux
  std::memcpy(&mbr[446 + 8], &first_sector, 4);
  std::memcpy(&mbr[446 + 12], &sectors, 4);
  mbr[510] = static_cast<char>(0x55);
  mbr[511] = static_cast<char>(0xaa);
  return mbr;
}

TEST_F(OptionsTest, OffsetServesAFilesystemInsideAPartitionedImage) {
  constexpr uint64_t kOffset = 1 << 20;
  std::string disk = image_;
  ASSERT_EQ(testutil::Run({"truncate", "-s", "65M", disk}).exit_code, 0);
  std::string mbr = MbrWithOnePartition(kOffset / 512, (64 << 20) / 512);
  {
    std::fstream f(disk, std::ios::in | std::ios::out | std::ios::binary);
    f.write(mbr.data(), static_cast<std::streamsize>(mbr.size()));
  }
  std::string seed = dir_.Join("seed");
  mkdir(seed.c_str(), 0755);
  std::ofstream(seed + "/inside") << "inside the partition";
  ASSERT_EQ(testutil::Run({"mke2fs", "-q", "-F", "-t", "ext4", "-d", seed, "-E",
                           "offset=" + std::to_string(kOffset), disk, "64M"})
                .exit_code,
            0);
  Mount({"-o", "offset=" + std::to_string(kOffset)});
  {
    std::ifstream in(P("inside"));
    std::string text((std::istreambuf_iterator<char>(in)), {});
    EXPECT_EQ(text, "inside the partition");
  }
  std::ofstream(P("written")) << "by ext4fh";
  ASSERT_EQ(mount_->Unmount(), 0);
  // The partition table is intact, and the kernel reads what was written.
  {
    std::ifstream f(disk, std::ios::binary);
    std::string first(512, '\0');
    f.read(first.data(), 512);
    EXPECT_EQ(first, mbr);
  }
  std::string kmnt = dir_.Join("k");
  mkdir(kmnt.c_str(), 0755);
  ASSERT_EQ(testutil::Run({"mount", "-o",
                           "ro,loop,offset=" + std::to_string(kOffset), disk,
                           kmnt})
                .exit_code,
            0);
  std::string back;
  {
    std::ifstream written(kmnt + "/written");
    back.assign(std::istreambuf_iterator<char>(written), {});
  }
  EXPECT_EQ(testutil::Run({"umount", kmnt}).exit_code, 0);
  EXPECT_EQ(back, "by ext4fh");
}

// Issue 3, item 7: while ext4fh serves an image, fuse2fs, the kernel (a
// loop device) and debugfs -w cannot open it for writing; readers can.
TEST_F(OptionsTest, OtherWritersAreRefusedWhileMounted) {
  testutil::MakeFs(image_, {"-t", "ext4"}, "", "64M");
  Mount({});
  std::string other = dir_.Join("other");
  mkdir(other.c_str(), 0755);
  testutil::CommandResult fuse2fs =
      testutil::Run({"fuse2fs", image_, other}, 30);
  EXPECT_NE(fuse2fs.exit_code, 0);
  EXPECT_THAT(fuse2fs.out + fuse2fs.err, ::testing::HasSubstr("Text file busy"));
  EXPECT_FALSE(testutil::IsMounted(other));
  testutil::CommandResult loop =
      testutil::Run({"losetup", "--find", "--show", image_}, 30);
  EXPECT_NE(loop.exit_code, 0) << loop.out;
  EXPECT_THAT(loop.err, ::testing::HasSubstr("Text file busy"));
  if (loop.exit_code == 0) {
    testutil::Run({"losetup", "-d", loop.out.substr(0, loop.out.find('\n'))});
  }
  testutil::CommandResult debugfs =
      testutil::Run({"debugfs", "-w", "-R", "stats", image_}, 30);
  EXPECT_THAT(debugfs.err, ::testing::HasSubstr("Text file busy"));
  // Reading is allowed: a copy, or a check that changes nothing.
  EXPECT_EQ(testutil::Run({"cp", image_, dir_.Join("copy")}).exit_code, 0);
  EXPECT_EQ(testutil::Run({"e2fsck", "-n", image_}).exit_code, 0);
  std::ofstream(P("still")) << "served";
  ASSERT_EQ(mount_->Unmount(), 0);
  EXPECT_EQ(testutil::Fsck(image_).exit_code, 0);
  // Once unmounted, anyone may open it again.
  EXPECT_EQ(testutil::Run({"debugfs", "-w", "-R", "stats", image_}).exit_code,
            0);
}

// Issue 3, item 7: umount and fusermount3 -u return only once the image
// is flushed and marked clean (a fuseblk mount: fuse/mount.h).
TEST_F(OptionsTest, UnmountReturnsOnlyOnceTheImageIsClean) {
  testutil::MakeFs(image_, {"-t", "ext4"}, "", "64M");
  for (const char* unmount : {"umount", "fusermount3 -u", "umount -l"}) {
    Mount({});
    ASSERT_THAT(testutil::Run({"findmnt", "-n", "-o", "FSTYPE", mnt_}).out,
                ::testing::HasSubstr("fuseblk.ext4fh"));
    for (int i = 0; i < 50; ++i) {
      std::ofstream(P("f" + std::to_string(i))) << std::string(5000, 'x');
    }
    ASSERT_EQ(testutil::Shell(std::string(unmount) + " " + mnt_).exit_code, 0);
    // Straight after: no waiting, no retry.
    testutil::CommandResult super = testutil::Run({"dumpe2fs", "-h", image_});
    EXPECT_THAT(super.out,
                ::testing::ContainsRegex("Filesystem state: +clean\n"))
        << unmount;
    EXPECT_EQ(testutil::Fsck(image_).exit_code, 0) << unmount;
    EXPECT_EQ(mount_->Unmount(), 0) << "the keeper exits cleanly";
  }
}

// mount.fuse3 runs "ext4fh IMAGE MOUNTPOINT -o OPTIONS", and mount(8) does
// the same for a fuse.ext4fh line of an fstab.
class MountHelperTest : public OptionsTest {
 protected:
  std::string PathWithExt4fh() const {
    std::string exe = testutil::Ext4fhBinary();
    return "PATH=" + exe.substr(0, exe.rfind('/')) + ":" + getenv("PATH");
  }

  void ExpectServedAndUnmount() {
    ASSERT_TRUE(testutil::IsMounted(mnt_));
    std::ofstream(P("hello")) << "world";
    {
      std::ifstream in(P("hello"));
      std::string text((std::istreambuf_iterator<char>(in)), {});
      EXPECT_EQ(text, "world");
    }
    EXPECT_THAT(testutil::CtlStatus(mnt_)["state"], "serving");
    EXPECT_EQ(testutil::Run({"umount", mnt_}).exit_code, 0);
    EXPECT_TRUE(testutil::UnmountDetached(mnt_)) << "the keeper did not exit";
  }
};

TEST_F(MountHelperTest, MountFuse3StartsExt4fh) {
  testutil::MakeFs(image_, {"-t", "ext4"}, "", "64M");
  testutil::CommandResult r = testutil::Shell(
      PathWithExt4fh() + " mount.fuse3 ext4fh#" + image_ + " " + mnt_ +
      " -o rw,default_permissions,nosuid");
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  ExpectServedAndUnmount();
  EXPECT_EQ(testutil::Fsck(image_).exit_code, 0);
}

// mount(8) runs its helpers with a PATH of its own, so a "fuse.ext4fh"
// line needs ext4fh installed; the "PROGRAM#IMAGE fuse" form names the
// binary, which works from a build tree too.
TEST_F(MountHelperTest, FstabLineMounts) {
  testutil::MakeFs(image_, {"-t", "ext4"}, "", "64M");
  std::string fstab = dir_.Join("fstab");
  std::ofstream(fstab) << testutil::Ext4fhBinary() << "#" << image_ << " "
                       << mnt_
                       << " fuse allow_other,default_permissions 0 0\n";
  testutil::CommandResult r =
      testutil::Run({"mount", "-T", fstab, mnt_});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(testutil::Run({"findmnt", "-n", "-o", "FSTYPE,OPTIONS", mnt_}).out,
              ::testing::HasSubstr("fuseblk.ext4fh"));
  ExpectServedAndUnmount();
  EXPECT_EQ(testutil::Fsck(image_).exit_code, 0);
}

}  // namespace
}  // namespace ext4fh
