// The image layer on real images made with mke2fs -d, without mounting.

#include "image/image.h"

#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <memory>
#include <set>

#include "testutil/images.h"
#include "testutil/subprocess.h"
#include "testutil/temp_dir.h"

namespace ext4fh {
namespace {

using testutil::MakeFs;
using testutil::Run;
using testutil::TempDir;

// Accepts any inode whose generation is `generation` (or any, for the
// root), like a handle would.
class TestClaim : public InodeClaim {
 public:
  TestClaim(uint32_t ino, uint32_t generation)
      : InodeClaim(ino), generation_(generation) {}
  bool InRange(const InodeRange& r) const override {
    return ino() <= r.inodes_count && (ino() >= r.first_ino || ino() == 2);
  }
  bool Matches(const InodeState& s) const override {
    return s.allocated && (s.links_count > 0 || s.orphan) &&
           (ino() == 2 || s.generation == generation_);
  }

 private:
  uint32_t generation_;
};

TestClaim Root() {
  return TestClaim(2, 0);
}

TestClaim ClaimOf(const Attr& a) {
  return TestClaim(a.ino, a.generation);
}

void WriteFile(const std::string& path, const std::string& data) {
  std::ofstream(path, std::ios::binary) << data;
}

std::string Pattern(size_t n, int seed) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) {
    s[i] = static_cast<char>((i * 131 + seed * 7 + (i >> 12)) & 0xff);
  }
  return s;
}

// A seed tree exercising the read paths.
void MakeSeed(const std::string& dir) {
  mkdir((dir + "/sub").c_str(), 0750);
  mkdir((dir + "/big").c_str(), 0755);
  WriteFile(dir + "/small", "hello\n");
  WriteFile(dir + "/data", Pattern(300000, 1));
  for (int i = 0; i < 3000; ++i) {
    WriteFile(dir + "/big/entry-" + std::to_string(i), std::to_string(i));
  }
  symlink("small", (dir + "/fast").c_str());
  symlink(std::string(300, 'x').c_str(), (dir + "/slow").c_str());
  int fd = open((dir + "/sparse").c_str(), O_CREAT | O_WRONLY, 0644);
  pwrite(fd, "mid", 3, 1 << 20);
  pwrite(fd, "end", 3, (5ULL << 30) + 17);
  close(fd);
  setxattr((dir + "/small").c_str(), "user.color", "blue", 4, 0);
  setxattr((dir + "/small").c_str(), "trusted.secret", "t", 1, 0);
  std::string large(900, 'v');
  setxattr((dir + "/data").c_str(), "user.large", large.data(), large.size(), 0);
  struct timespec times[2] = {{1600000000, 123456789}, {1500000000, 987654321}};
  utimensat(AT_FDCWD, (dir + "/small").c_str(), times, 0);
}

// One image per kind, built once per process and shared by the tests of
// that kind (they only read).
struct BuiltImage {
  TempDir dir;
  std::string seed;
  std::string path;
  std::unique_ptr<Image> image;
};

void SetInodeField(const std::string& image, const std::string& path,
                   const std::string& field, uint32_t value) {
  testutil::Run({"debugfs", "-w", "-R",
                "sif " + path + " " + field + " " + std::to_string(value),
                image});
}

void Build(BuiltImage& b, const std::vector<std::string>& mkfs_args) {
  b.seed = b.dir.Join("seed");
  mkdir(b.seed.c_str(), 0755);
  MakeSeed(b.seed);
  b.path = b.dir.Join("fs.img");
  MakeFs(b.path, mkfs_args, b.seed, "64M");
  // mke2fs -d drops nanoseconds; set them, plus an epoch bit (2446).
  SetInodeField(b.path, "/small", "mtime_extra", 987654321u << 2);
  SetInodeField(b.path, "/small", "atime_extra", 123456789u << 2);
  SetInodeField(b.path, "/data", "ctime_extra", (5u << 2) | 1u);
  // Index every directory that needs it, as the kernel would have.
  testutil::Run({"e2fsck", "-fyD", b.path});
  ImageOptions options;
  options.open.path = b.path;
  Result<std::unique_ptr<Image>> image = Image::Open(options);
  ASSERT_TRUE(image.ok()) << image.status().ToString();
  b.image = std::move(image).value();
}

BuiltImage& ImageFor(const std::vector<std::string>& mkfs_args) {
  static std::map<std::vector<std::string>, std::unique_ptr<BuiltImage>> cache;
  std::unique_ptr<BuiltImage>& slot = cache[mkfs_args];
  if (!slot) {
    slot = std::make_unique<BuiltImage>();
    Build(*slot, mkfs_args);
  }
  return *slot;
}

class ImageTest : public ::testing::TestWithParam<std::vector<std::string>> {
 protected:
  void SetUp() override {
    BuiltImage& b = ImageFor(GetParam());
    ASSERT_NE(b.image, nullptr);
    seed_ = b.seed;
    image_ = b.image.get();
  }

  Attr Find(const std::string& path) {
    Attr cur = *image_->GetAttr(Root());
    size_t pos = 0;
    while (pos < path.size()) {
      size_t next = path.find('/', pos);
      std::string name = path.substr(pos, next - pos);
      Result<Attr> child = image_->Lookup(ClaimOf(cur), name);
      EXPECT_TRUE(child.ok()) << path << ": " << child.status().ToString();
      if (!child.ok()) {
        return {};
      }
      cur = *child;
      pos = next == std::string::npos ? path.size() : next + 1;
    }
    return cur;
  }

  std::string ReadAll(const Attr& attr) {
    std::string out(attr.size, '\0');
    Result<size_t> n = image_->Read(ClaimOf(attr), 0, out);
    EXPECT_TRUE(n.ok()) << n.status().ToString();
    out.resize(n.ok() ? *n : 0);
    return out;
  }

  std::string seed_;
  Image* image_ = nullptr;
};

TEST_P(ImageTest, AttributesMatchTheSeed) {
  Attr a = Find("small");
  struct stat st {};
  ASSERT_EQ(lstat((seed_ + "/small").c_str(), &st), 0);
  EXPECT_EQ(a.mode, st.st_mode);
  EXPECT_EQ(a.size, 6u);
  EXPECT_EQ(a.nlink, 1u);
  EXPECT_EQ(a.mtime.tv_sec, 1500000000);
  EXPECT_EQ(a.mtime.tv_nsec, 987654321);
  EXPECT_EQ(a.atime.tv_sec, 1600000000);
  EXPECT_EQ(a.atime.tv_nsec, 123456789);
  EXPECT_EQ(Find("sub").mode, static_cast<mode_t>(S_IFDIR | 0750));
}

TEST_P(ImageTest, EpochBitsExtendTimestampsPast2038) {
  Attr data = Find("data");
  struct stat st {};
  ASSERT_EQ(lstat((seed_ + "/data").c_str(), &st), 0);
  EXPECT_EQ(data.ctime.tv_sec, st.st_ctime + (1LL << 32));
  EXPECT_EQ(data.ctime.tv_nsec, 5);
}

TEST_P(ImageTest, ReadsFileData) {
  EXPECT_EQ(ReadAll(Find("small")), "hello\n");
  EXPECT_EQ(ReadAll(Find("data")), Pattern(300000, 1));
}

TEST_P(ImageTest, ReadsAtOffsetsAndPastEnd) {
  Attr data = Find("data");
  std::string buf(1000, '\0');
  Result<size_t> n = image_->Read(ClaimOf(data), 299500, buf);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 500u);
  EXPECT_EQ(buf.substr(0, 500), Pattern(300000, 1).substr(299500));
  n = image_->Read(ClaimOf(data), 300000, buf);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 0u);
}

TEST_P(ImageTest, SparseFileReadsZerosAcrossFourGiB) {
  Attr sparse = Find("sparse");
  EXPECT_EQ(sparse.size, (5ULL << 30) + 20);
  std::string buf(8192, 'z');
  ASSERT_TRUE(image_->Read(ClaimOf(sparse), 0, buf).ok());
  EXPECT_EQ(buf, std::string(8192, '\0'));
  ASSERT_TRUE(image_->Read(ClaimOf(sparse), (1 << 20) - 2, buf).ok());
  EXPECT_EQ(buf.substr(0, 7), std::string("\0\0mid\0\0", 7));
  std::string tail(100, 'z');
  Result<size_t> n = image_->Read(ClaimOf(sparse), (5ULL << 30), tail);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 20u);
  EXPECT_EQ(tail.substr(0, 20), std::string(17, '\0') + "end");
  ASSERT_TRUE(image_->Read(ClaimOf(sparse), 4ULL << 30, buf).ok());
  EXPECT_EQ(buf, std::string(8192, '\0'));
}

TEST_P(ImageTest, SymlinksFastAndSlow) {
  EXPECT_EQ(*image_->ReadLink(ClaimOf(Find("fast"))), "small");
  EXPECT_EQ(*image_->ReadLink(ClaimOf(Find("slow"))), std::string(300, 'x'));
  EXPECT_EQ(image_->ReadLink(ClaimOf(Find("small"))).err(), EINVAL);
}

TEST_P(ImageTest, LookupHandlesDotsAndMissingNames) {
  Attr sub = Find("sub");
  EXPECT_EQ(image_->Lookup(ClaimOf(sub), ".")->ino, sub.ino);
  EXPECT_EQ(image_->Lookup(ClaimOf(sub), "..")->ino, 2u);
  EXPECT_EQ(image_->Lookup(Root(), "..")->ino, 2u);
  EXPECT_EQ(image_->Lookup(Root(), "nope").err(), ENOENT);
  EXPECT_EQ(image_->Lookup(ClaimOf(Find("small")), "x").err(), ENOTDIR);
}

TEST_P(ImageTest, LookupFindsEveryNameInABigDirectory) {
  Attr big = Find("big");
  for (int i = 0; i < 3000; i += 7) {
    Result<Attr> a = image_->Lookup(ClaimOf(big), "entry-" + std::to_string(i));
    ASSERT_TRUE(a.ok()) << i << ": " << a.status().ToString();
    EXPECT_EQ(ReadAll(*a), std::to_string(i));
  }
  EXPECT_EQ(image_->Lookup(ClaimOf(big), "entry-3000").err(), ENOENT);
}

std::vector<DirEntry> ListFrom(Image& image, const InodeClaim& dir,
                               uint64_t cookie, size_t max) {
  std::vector<DirEntry> out;
  Status st = image.ReadDir(dir, cookie, [&](const DirEntry& e) {
    if (out.size() == max) {
      return false;
    }
    out.push_back(e);
    return true;
  });
  EXPECT_TRUE(st.ok()) << st.ToString();
  return out;
}

TEST_P(ImageTest, ListingIsCompleteAndResumesAtEveryCookie) {
  TestClaim big = ClaimOf(Find("big"));
  std::vector<DirEntry> all = ListFrom(*image_, big, 0, SIZE_MAX);
  std::set<std::string> names;
  for (const DirEntry& e : all) {
    names.insert(e.name);
  }
  EXPECT_EQ(names.size(), 3002u);
  EXPECT_TRUE(names.count(".") && names.count(".."));
  for (size_t i = 0; i < all.size(); i += 97) {
    std::vector<DirEntry> rest = ListFrom(*image_, big, all[i].cookie, SIZE_MAX);
    ASSERT_EQ(rest.size(), all.size() - i - 1) << "after entry " << i;
    if (!rest.empty()) {
      EXPECT_EQ(rest.front().name, all[i + 1].name);
    }
  }
}

TEST_P(ImageTest, XattrsListAndGet) {
  TestClaim small = ClaimOf(Find("small"));
  std::vector<std::string> names = *image_->ListXattrs(small, true);
  EXPECT_NE(std::find(names.begin(), names.end(), "user.color"), names.end());
  EXPECT_NE(std::find(names.begin(), names.end(), "trusted.secret"), names.end());
  std::vector<std::string> unprivileged = *image_->ListXattrs(small, false);
  EXPECT_EQ(std::find(unprivileged.begin(), unprivileged.end(), "trusted.secret"),
            unprivileged.end());
  EXPECT_EQ(*image_->GetXattr(small, "user.color"), "blue");
  EXPECT_EQ(image_->GetXattr(small, "user.none").err(), ENODATA);
  EXPECT_EQ(*image_->GetXattr(ClaimOf(Find("data")), "user.large"),
            std::string(900, 'v'));
}

TEST_P(ImageTest, StaleClaimsAnswerEstale) {
  Attr small = Find("small");
  EXPECT_EQ(image_->GetAttr(TestClaim(small.ino, small.generation + 1)).err(),
            ESTALE);
  EXPECT_EQ(image_->GetAttr(TestClaim(5000, 0)).err(), ESTALE)
      << "unallocated inode";
  EXPECT_EQ(image_->GetAttr(TestClaim(99999999, 0)).err(), ESTALE);
  EXPECT_EQ(image_->Read(TestClaim(7, 0), 0, std::span<char>()).err(), ESTALE)
      << "reserved inode";
}

TEST_P(ImageTest, StatFsCountsInodesAndBlocks) {
  FsStats s = *image_->StatFs();
  EXPECT_GT(s.blocks, s.blocks_free);
  EXPECT_GE(s.blocks_free, s.blocks_available);
  EXPECT_EQ(s.inodes - s.inodes_free, 11u + 3000 + 8 - 1)
      << "reserved inodes, entries, and the seed's files minus lost+found dup";
  EXPECT_EQ(s.name_max, 255u);
}

TEST_P(ImageTest, AccessFollowsModeBits) {
  Attr sub = Find("sub");  // 0750 root:root
  Credentials other{1000, 1000, {}};
  EXPECT_EQ(image_->Access(ClaimOf(sub), other, R_OK).err(), EACCES);
  Credentials group{1000, 0, {}};
  EXPECT_TRUE(image_->Access(ClaimOf(sub), group, R_OK | X_OK).ok());
  EXPECT_EQ(image_->Access(ClaimOf(sub), group, W_OK).err(), EACCES);
  Credentials root{0, 0, {}};
  EXPECT_TRUE(image_->Access(ClaimOf(sub), root, W_OK).ok());
  EXPECT_EQ(image_->Access(ClaimOf(Find("small")), root, X_OK).err(), EACCES);
}

std::string KindName(
    const ::testing::TestParamInfo<std::vector<std::string>>& info) {
  static const char* kNames[] = {"ext4", "ext2_1k", "ext3", "ext4_inline"};
  return kNames[info.index];
}

INSTANTIATE_TEST_SUITE_P(
    Kinds, ImageTest,
    ::testing::Values(
        std::vector<std::string>{"-t", "ext4"},
        std::vector<std::string>{"-t", "ext2", "-b", "1024"},
        std::vector<std::string>{"-t", "ext3"},
        std::vector<std::string>{"-t", "ext4", "-O",
                                 "inline_data,metadata_csum,64bit"}),
    KindName);

}  // namespace
}  // namespace ext4fh
