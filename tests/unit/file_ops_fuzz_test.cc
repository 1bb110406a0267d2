// Random data operations on one file through the image layer (writes,
// truncates, every fallocate mode), checked against a byte model after
// each step and with e2fsck -fn along the way: every Image call commits,
// so the image file must be consistent between calls.

#include <gtest/gtest.h>
#include <linux/falloc.h>
#include <sys/stat.h>

#include <cstdlib>
#include <random>
#include <sstream>

#include "image/image.h"
#include "unit/any_claim.h"
#include "testutil/images.h"
#include "testutil/subprocess.h"
#include "testutil/temp_dir.h"

namespace ext4fh {
namespace {


struct Fuzz {
  std::mt19937_64 rng;
  uint64_t max_size;
  uint64_t Offset() { return rng() % max_size; }
  uint64_t Length() {
    if (max_size < 4096) {  // mostly short: data that may stay inline
      return 1 + rng() % (rng() % 4 ? max_size / 2 : 4096 * 2);
    }
    return 1 + rng() % (rng() % 2 ? 4096 * 3 : max_size / 4);
  }
  // 0: write, 1: truncate, else fallocate. Short files see fewer
  // fallocates, as each one moves inline data to a block.
  int Kind() {
    if (max_size < 4096) {
      int k = static_cast<int>(rng() % 8);
      return k < 4 ? 0 : k < 6 ? 1 : 2;
    }
    return static_cast<int>(rng() % 6);
  }
  // A truncate target: with short files, often 0, which frees every block
  // so that the next short write may store the data inline again.
  uint64_t TruncateSize(uint64_t off) {
    return max_size < 4096 && rng() % 2 == 0 ? 0 : off;
  }
};

// Whether /f in `image` keeps its data inline now, per debugfs.
bool StoredInline(const std::string& image) {
  testutil::CommandResult r = testutil::Run({"debugfs", "-R", "stat /f", image});
  return r.out.find("Size of inline data") != std::string::npos;
}

std::string Describe(const std::vector<std::string>& log) {
  std::ostringstream out;
  for (const std::string& line : log) {
    out << line << "\n";
  }
  return out.str();
}

// seed, mke2fs features, image size, largest file offset: the small image
// runs out of space often, and every failure must leave it consistent.
using FuzzParam = std::tuple<int, std::string, std::string, uint64_t>;
class FileOpsFuzz : public ::testing::TestWithParam<FuzzParam> {};

TEST_P(FileOpsFuzz, MatchesModelAndStaysConsistent) {
  auto [seed, features, fs_size, max_offset] = GetParam();
  testutil::TempDir dir;
  std::string path = dir.Join("fs.img");
  testutil::MakeFs(path, {"-t", "ext4", "-b", "4096", "-O", features}, "", fs_size);
  ImageOptions options;
  options.open.path = path;
  options.open.read_write = true;
  auto image = Image::Open(options);
  ASSERT_TRUE(image.ok()) << image.status().ToString();
  Credentials root{0, 0, {}};
  auto made = (*image)->Make(AnyClaim(2), "f", NewNode{S_IFREG | 0644, 0, 0, {}}, root);
  ASSERT_TRUE(made.ok()) << made.status().ToString();
  AnyClaim file(made->ino);
  std::string model;
  Fuzz fuzz{std::mt19937_64(seed), max_offset};
  std::vector<std::string> log;
  const bool inline_fs = features.find("inline_data") != std::string::npos;
  const bool block_mapped = features.find("^extent") != std::string::npos;
  int inline_steps = 0, block_steps = 0, moves = 0;
  bool was_inline = false;
  for (int step = 0; step < 300; ++step) {
    uint64_t off = fuzz.Offset(), len = fuzz.Length();
    int kind = fuzz.Kind();
    Status st;
    std::string what;
    if (kind == 0) {
      std::string data(std::min<uint64_t>(len, 8 << 20),
                       static_cast<char>('a' + step % 26));
      what = "write " + std::to_string(off) + " " + std::to_string(len);
      auto n = (*image)->Write(file, off, data, root);
      st = n.status();
      if (n.ok()) {
        if (model.size() < off + *n) model.resize(off + *n, '\0');
        model.replace(off, *n, data.substr(0, *n));
      }
    } else if (kind == 1) {
      AttrChange c;
      off = fuzz.TruncateSize(off);
      c.size = off;
      what = "truncate " + std::to_string(off);
      st = (*image)->SetAttr(file, c, root).status();
      if (st.ok()) model.resize(off, '\0');
    } else {
      static const int kModes[] = {0, FALLOC_FL_KEEP_SIZE,
                                   FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
                                   FALLOC_FL_ZERO_RANGE,
                                   FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE};
      int mode = kModes[fuzz.rng() % 5];
      what = "fallocate " + std::to_string(mode) + " " + std::to_string(off) +
             " " + std::to_string(len);
      st = (*image)->Fallocate(file, mode, off, len);
      if (st.ok()) {
        bool keep = mode & FALLOC_FL_KEEP_SIZE;
        uint64_t end = off + len;
        if (!keep && model.size() < end) model.resize(end, '\0');
        if (mode & (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_ZERO_RANGE)) {
          for (uint64_t i = off; i < std::min<uint64_t>(end, model.size()); ++i) {
            model[i] = '\0';
          }
        }
      }
    }
    log.push_back(what + " -> " + st.ToString() + " [free " +
                  std::to_string((*image)->StatFs()->blocks_free) + "]");
    // Block-mapped files support only punch hole, as with the kernel.
    bool refused = block_mapped && kind >= 2 && st.err() == EOPNOTSUPP &&
                   what.find("fallocate 3 ") != 0;
    ASSERT_TRUE(st.ok() || st.err() == ENOSPC || refused) << Describe(log);
    // The range the step touched every time, the whole file now and then.
    bool whole = step % 20 == 19;
    uint64_t from = whole ? 0 : std::min<uint64_t>(off, model.size());
    uint64_t count = whole ? model.size() + 10 : std::min<uint64_t>(len, 1 << 20) + 10;
    std::string back(count, 'x');
    auto n = (*image)->Read(file, from, back);
    ASSERT_TRUE(n.ok()) << n.status().ToString() << "\n" << Describe(log);
    std::string expected = model.substr(from, count);
    ASSERT_EQ(*n, expected.size()) << Describe(log);
    ASSERT_TRUE(back.substr(0, *n) == expected) << "content differs\n" << Describe(log);
    if (inline_fs) {
      bool now_inline = StoredInline(path);
      ++(now_inline ? inline_steps : block_steps);
      moves += step > 0 && now_inline != was_inline;
      was_inline = now_inline;
    }
    if (step % 25 == 24) {
      testutil::CommandResult r = testutil::Fsck(path);
      ASSERT_EQ(r.exit_code, 0) << r.out << Describe(log);
    }
  }
  ASSERT_TRUE((*image)->Close().ok());
  testutil::CommandResult r = testutil::Fsck(path);
  EXPECT_EQ(r.exit_code, 0) << r.out;
  if (inline_fs) {
    // Both representations, and so the moves between them, were exercised.
    EXPECT_GT(inline_steps, 10);
    EXPECT_GT(block_steps, 10);
    EXPECT_GE(moves, 6);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Roomy, FileOpsFuzz,
    ::testing::Combine(::testing::Values(1, 2, 3),
                       ::testing::Values("^metadata_csum", "metadata_csum"),
                       ::testing::Values("256M"),
                       ::testing::Values(uint64_t{4} << 20)));
// Offsets within 96 bytes on an inline_data filesystem: the file
// moves between inline data (short writes, truncates down, a truncate to 0
// then a short write) and blocks (longer writes, every fallocate mode).
INSTANTIATE_TEST_SUITE_P(
    Inline, FileOpsFuzz,
    ::testing::Combine(::testing::Values(7, 8),
                       ::testing::Values("inline_data,metadata_csum"),
                       ::testing::Values("24M"),
                       ::testing::Values(uint64_t{96})));
// Block-mapped files (no extents, as on ext3) up to 64 MiB: ranges within
// and across the direct, single and double indirect parts of the tree.
INSTANTIATE_TEST_SUITE_P(
    BlockMapped, FileOpsFuzz,
    ::testing::Combine(::testing::Values(10, 11),
                       ::testing::Values("^extent,^64bit,^flex_bg"),
                       ::testing::Values("256M"),
                       ::testing::Values(uint64_t{64} << 20)));
INSTANTIATE_TEST_SUITE_P(
    Soak, FileOpsFuzz,
    ::testing::Combine(::testing::Range(100, 100 + std::atoi(getenv("FUZZ_SOAK") ? getenv("FUZZ_SOAK") : "0")),
                       ::testing::Values("metadata_csum"),
                       ::testing::Values("24M", "256M"),
                       ::testing::Values(uint64_t{64} << 20)));
INSTANTIATE_TEST_SUITE_P(
    Full, FileOpsFuzz,
    ::testing::Combine(::testing::Values(4, 5, 6),
                       ::testing::Values("^metadata_csum", "metadata_csum"),
                       ::testing::Values("24M"),
                       ::testing::Values(uint64_t{64} << 20)));

}  // namespace
}  // namespace ext4fh
