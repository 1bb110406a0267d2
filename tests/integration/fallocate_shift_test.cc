// FALLOC_FL_COLLAPSE_RANGE and FALLOC_FL_INSERT_RANGE.
//
// The kernel's FUSE client refuses both with EOPNOTSUPP before a server
// sees them (fuse_file_fallocate accepts only KEEP_SIZE, PUNCH_HOLE and
// ZERO_RANGE), so through a mount they cannot work; that is checked here.
// ext4fh's image layer implements them anyway, for when a kernel passes
// them on: the same calls on identical images must give what the kernel's
// ext4 gives (results, errors, sizes, data).

#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/falloc.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <memory>

#include "image/image.h"
#include "testutil/images.h"
#include "testutil/mounts.h"
#include "testutil/temp_dir.h"

namespace ext4fh {
namespace {

struct Shift {
  int mode;
  uint64_t offset;
  uint64_t length;
};

// Each case: the shift, applied to a 1 MiB file of distinct bytes.
const Shift kShifts[] = {
    {FALLOC_FL_COLLAPSE_RANGE, 4096, 8192},
    {FALLOC_FL_COLLAPSE_RANGE, 0, 4096},
    {FALLOC_FL_COLLAPSE_RANGE, 100, 4096},          // unaligned: EINVAL
    {FALLOC_FL_COLLAPSE_RANGE, 4096, 1000},         // unaligned: EINVAL
    {FALLOC_FL_COLLAPSE_RANGE, 1044480, 4096},      // reaches EOF: EINVAL
    {FALLOC_FL_COLLAPSE_RANGE, 1040384, 4096},      // last block but one
    {FALLOC_FL_INSERT_RANGE, 8192, 4096},
    {FALLOC_FL_INSERT_RANGE, 0, 65536},
    {FALLOC_FL_INSERT_RANGE, 6000, 4096},           // unaligned: EINVAL
    {FALLOC_FL_INSERT_RANGE, 1048576, 4096},        // at EOF: EINVAL
    {FALLOC_FL_INSERT_RANGE | FALLOC_FL_KEEP_SIZE, 4096, 4096},  // EINVAL
};

std::string Content() {
  std::string s(1 << 20, '\0');
  for (size_t i = 0; i < s.size(); ++i) {
    s[i] = static_cast<char>((i / 4096) * 13 + i % 251);
  }
  return s;
}

std::string Outcome(int err, const std::string& data) {
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : data) h = (h ^ c) * 1099511628211ULL;
  return "errno " + std::to_string(err) + " size " + std::to_string(data.size()) +
         " hash " + std::to_string(h);
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

class AnyClaim : public InodeClaim {
 public:
  using InodeClaim::InodeClaim;
  bool InRange(const InodeRange&) const override { return true; }
  bool Matches(const InodeState& s) const override { return s.allocated; }
};

class FallocateShiftTest : public ::testing::TestWithParam<Shift> {
 protected:
  void SetUp() override {
    if (!testutil::FuseAvailable() || !testutil::KernelMountAvailable()) {
      GTEST_SKIP() << "needs root, /dev/fuse and loop devices";
    }
    base_ = dir_.Join("base.img");
    std::string seed = dir_.Join("seed");
    mkdir(seed.c_str(), 0755);
    std::ofstream(seed + "/f", std::ios::binary) << Content();
    testutil::MakeFs(base_, {"-t", "ext4", "-b", "4096"}, seed, "64M");
  }

  std::string OnKernel(const Shift& s) {
    std::string image = dir_.Join("kernel.img"), mnt = dir_.Join("k");
    testutil::CopyImage(base_, image);
    mkdir(mnt.c_str(), 0755);
    std::string error;
    auto kernel = testutil::KernelMount::Start(image, mnt, false, &error);
    EXPECT_NE(kernel, nullptr) << error;
    int fd = open((mnt + "/f").c_str(), O_RDWR);
    int err = fallocate(fd, s.mode, s.offset, s.length) == 0 ? 0 : errno;
    close(fd);
    std::string out = Outcome(err, ReadAll(mnt + "/f"));
    EXPECT_TRUE(kernel->Unmount());
    return out;
  }

  std::string OnImage(const Shift& s) {
    std::string image = dir_.Join("image.img");
    testutil::CopyImage(base_, image);
    ImageOptions options;
    options.open.path = image;
    options.open.read_write = true;
    auto opened = Image::Open(options);
    EXPECT_TRUE(opened.ok()) << opened.status().ToString();
    Image& img = **opened;
    Result<Attr> f = img.Lookup(AnyClaim(2), "f");
    Status st = img.Fallocate(AnyClaim(f->ino), s.mode, s.offset, s.length);
    std::string data(2 << 20, '\0');
    Result<size_t> n = img.Read(AnyClaim(f->ino), 0, data);
    data.resize(n.ok() ? *n : 0);
    EXPECT_TRUE(img.Close().ok());
    testutil::CommandResult fsck = testutil::Fsck(image);
    EXPECT_EQ(fsck.exit_code, 0) << fsck.out;
    return Outcome(st.err(), data);
  }

  testutil::TempDir dir_;
  std::string base_;
};

TEST_P(FallocateShiftTest, ImageLayerMatchesTheKernel) {
  EXPECT_EQ(OnImage(GetParam()), OnKernel(GetParam()));
}

TEST_P(FallocateShiftTest, FuseMountRefusesBeforeTheServer) {
  std::string image = dir_.Join("fuse.img"), mnt = dir_.Join("f");
  testutil::CopyImage(base_, image);
  mkdir(mnt.c_str(), 0755);
  std::string error;
  auto fuse = testutil::Ext4fhMount::Start(image, mnt, {}, &error);
  ASSERT_NE(fuse, nullptr) << error;
  int fd = open((mnt + "/f").c_str(), O_RDWR);
  ASSERT_GE(fd, 0);
  const Shift& s = GetParam();
  EXPECT_EQ(fallocate(fd, s.mode, s.offset, s.length), -1);
  EXPECT_EQ(errno, EOPNOTSUPP);
  close(fd);
  EXPECT_EQ(fuse->Unmount(), 0);
  testutil::CommandResult fsck = testutil::Fsck(image);
  EXPECT_EQ(fsck.exit_code, 0) << fsck.out;
}

INSTANTIATE_TEST_SUITE_P(Shifts, FallocateShiftTest, ::testing::ValuesIn(kShifts));

}  // namespace
}  // namespace ext4fh
