// Read-only serving, compared with the kernel's ext4 on the same image:
// every name, type, mode, owner, size, nanosecond timestamp, link count,
// inode number, block count, xattr, symlink target and file content; statfs;
// resumed directory listings; and permission checks with ACLs.

#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <memory>
#include <vector>

#include "testutil/images.h"
#include "testutil/mounts.h"
#include "testutil/run_as.h"
#include "testutil/temp_dir.h"
#include "testutil/tree.h"

namespace ext4fh {
namespace {

using testutil::Ext4fhMount;
using testutil::KernelMount;
using testutil::TempDir;

class ReadOnlyTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (!testutil::FuseAvailable() || !testutil::KernelMountAvailable()) {
      GTEST_SKIP() << "needs root, /dev/fuse and loop devices";
    }
    const std::string& image = testutil::TestImage(GetParam());
    std::string kernel_image = dir_.Join("kernel.img");
    testutil::CopyImage(image, kernel_image);
    ASSERT_EQ(mkdir(dir_.Join("fuse").c_str(), 0755), 0);
    ASSERT_EQ(mkdir(dir_.Join("kernel").c_str(), 0755), 0);
    std::string error;
    fuse_ = Ext4fhMount::Start(
        image, dir_.Join("fuse"),
        {"-o", "ro,allow_other,default_permissions"}, &error);
    ASSERT_NE(fuse_, nullptr) << error;
    kernel_ = KernelMount::Start(kernel_image, dir_.Join("kernel"), true, &error);
    ASSERT_NE(kernel_, nullptr) << error;
  }

  void TearDown() override {
    if (fuse_) {
      EXPECT_EQ(fuse_->Unmount(), 0) << "keeper exit status";
    }
    if (kernel_) {
      EXPECT_TRUE(kernel_->Unmount());
    }
  }

  TempDir dir_;
  std::unique_ptr<Ext4fhMount> fuse_;
  std::unique_ptr<KernelMount> kernel_;
};

TEST_P(ReadOnlyTest, TreeMatchesTheKernel) {
  testutil::Tree kernel = testutil::WalkTree(kernel_->path());
  testutil::Tree fuse = testutil::WalkTree(fuse_->path());
  ASSERT_GT(kernel.size(), 20000u) << "the seed tree is missing";
  EXPECT_EQ(testutil::DiffTrees(kernel, fuse), "");
}

TEST_P(ReadOnlyTest, StatfsMatchesTheKernel) {
  struct statfs k {}, f {};
  ASSERT_EQ(statfs(kernel_->path().c_str(), &k), 0);
  ASSERT_EQ(statfs(fuse_->path().c_str(), &f), 0);
  EXPECT_EQ(k.f_bsize, f.f_bsize);
  EXPECT_EQ(k.f_blocks, f.f_blocks);
  EXPECT_EQ(k.f_bfree, f.f_bfree);
  EXPECT_EQ(k.f_bavail, f.f_bavail);
  EXPECT_EQ(k.f_files, f.f_files);
  EXPECT_EQ(k.f_ffree, f.f_ffree);
  EXPECT_EQ(k.f_namelen, f.f_namelen);
}

// Names read after seekdir(telldir()) continue exactly where they left off.
std::vector<std::string> ReadNames(DIR* dir, size_t count) {
  std::vector<std::string> names;
  while (names.size() < count) {
    dirent* d = readdir(dir);
    if (d == nullptr) {
      break;
    }
    names.emplace_back(d->d_name);
  }
  return names;
}

TEST_P(ReadOnlyTest, ListingResumesAfterSeekdir) {
  std::string big = fuse_->path() + "/big";
  for (size_t skip : {1u, 2u, 777u, 5000u, 19999u}) {
    DIR* dir = opendir(big.c_str());
    ASSERT_NE(dir, nullptr);
    ReadNames(dir, skip);
    long pos = telldir(dir);
    std::vector<std::string> expected = ReadNames(dir, 50);
    closedir(dir);
    dir = opendir(big.c_str());
    ASSERT_NE(dir, nullptr);
    seekdir(dir, pos);
    EXPECT_EQ(ReadNames(dir, 50), expected) << "after " << skip << " entries";
    closedir(dir);
  }
}

// What `nobody` can open under `root`: one line per path with the errno.
std::string AccessReport(const std::string& root,
                         const testutil::Tree& tree) {
  return testutil::RunAs(testutil::kNobody, testutil::kNobody, [&] {
    std::string report;
    for (const auto& [rel, entry] : tree) {
      if (rel.starts_with("big/") || S_ISLNK(entry.mode) ||
          S_ISCHR(entry.mode) || S_ISBLK(entry.mode) ||
          S_ISFIFO(entry.mode) || S_ISSOCK(entry.mode)) {
        continue;
      }
      std::string path = root + "/" + rel;
      int fd = open(path.c_str(), O_RDONLY | O_NONBLOCK);
      int err = fd < 0 ? errno : 0;
      if (fd >= 0) {
        close(fd);
      }
      int x = access(path.c_str(), X_OK) == 0 ? 0 : errno;
      int w = access(path.c_str(), W_OK) == 0 ? 0 : errno;
      report += rel + " open=" + std::to_string(err) + " x=" +
                std::to_string(x) + " w=" + std::to_string(w) + "\n";
    }
    return report;
  });
}

TEST_P(ReadOnlyTest, PermissionsAndAclsMatchTheKernelForOtherUsers) {
  testutil::Tree tree = testutil::WalkTree(kernel_->path(), false);
  std::string kernel = AccessReport(kernel_->path(), tree);
  std::string fuse = AccessReport(fuse_->path(), tree);
  ASSERT_NE(kernel.find("open=13"), std::string::npos)
      << "the seed should have files nobody may not read";
  EXPECT_EQ(kernel, fuse);
}

INSTANTIATE_TEST_SUITE_P(Kinds, ReadOnlyTest,
                         ::testing::Values("ext2", "ext3", "ext4",
                                           "ext4-inline"),
                         [](const auto& info) {
                           std::string name = info.param;
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

}  // namespace
}  // namespace ext4fh
