// Parsing of directory records, including malformed ones.

#include "image/dir_block.h"

#include <dirent.h>
#include <ext2fs/ext2_fs.h>
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

namespace ext4fh {
namespace {

// Appends a record; rec_len 0 means "just big enough".
void Add(std::vector<char>& block, uint32_t ino, const std::string& name,
         uint8_t type, uint16_t rec_len = 0) {
  if (rec_len == 0) {
    rec_len = static_cast<uint16_t>((8 + name.size() + 3) & ~3u);
  }
  size_t at = block.size();
  block.resize(at + rec_len, '\0');
  std::memcpy(&block[at], &ino, 4);
  std::memcpy(&block[at + 4], &rec_len, 2);
  block[at + 6] = static_cast<char>(name.size());
  block[at + 7] = static_cast<char>(type);
  std::memcpy(&block[at + 8], name.data(), name.size());
}

std::vector<std::string> Names(const std::vector<char>& block, Status* st) {
  std::vector<std::string> names;
  *st = WalkDirents(block, 4096, true, [&](const RawDirent& d) {
    names.emplace_back(d.name);
    return true;
  });
  return names;
}

TEST(DirBlock, WalksLiveRecordsAndSkipsDeletedOnes) {
  std::vector<char> block;
  Add(block, 2, ".", EXT2_FT_DIR);
  Add(block, 2, "..", EXT2_FT_DIR);
  Add(block, 0, "gone", EXT2_FT_REG_FILE);
  Add(block, 12, "file", EXT2_FT_REG_FILE, 4096 - 12 - 12 - 16);
  Status st;
  EXPECT_EQ(Names(block, &st), (std::vector<std::string>{".", "..", "file"}));
  EXPECT_TRUE(st.ok());
}

TEST(DirBlock, ReportsOffsetsAndTypes) {
  std::vector<char> block;
  Add(block, 2, ".", EXT2_FT_DIR);
  Add(block, 13, std::string(255, 'n'), EXT2_FT_SYMLINK, 4096 - 12);
  std::vector<RawDirent> seen;
  ASSERT_TRUE(WalkDirents(block, 4096, true, [&](const RawDirent& d) {
                seen.push_back(d);
                return true;
              }).ok());
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[1].offset, 12u);
  EXPECT_EQ(seen[1].rec_len, 4096u - 12);
  EXPECT_EQ(seen[1].name.size(), 255u);
  EXPECT_EQ(DirentTypeToDt(seen[1].file_type), DT_LNK);
}

TEST(DirBlock, StopsWhenTheVisitorSaysSo) {
  std::vector<char> block;
  Add(block, 11, "a", EXT2_FT_REG_FILE);
  Add(block, 12, "b", EXT2_FT_REG_FILE, 4096 - 12);
  int calls = 0;
  ASSERT_TRUE(WalkDirents(block, 4096, true, [&](const RawDirent&) {
                ++calls;
                return false;
              }).ok());
  EXPECT_EQ(calls, 1);
}

TEST(DirBlock, RejectsRecLenBelowTwelve) {
  std::vector<char> block;
  Add(block, 11, "a", EXT2_FT_REG_FILE, 8);
  block.resize(4096);
  Status st;
  Names(block, &st);
  EXPECT_EQ(st.err(), EUCLEAN);
}

TEST(DirBlock, RejectsUnalignedRecLen) {
  std::vector<char> block;
  Add(block, 11, "a", EXT2_FT_REG_FILE, 14);
  block.resize(4096);
  Status st;
  Names(block, &st);
  EXPECT_EQ(st.err(), EUCLEAN);
}

TEST(DirBlock, RejectsARecordRunningPastTheBlock) {
  std::vector<char> block;
  Add(block, 11, "a", EXT2_FT_REG_FILE, 12);
  uint16_t huge = 8192;
  std::memcpy(&block[4], &huge, 2);
  block.resize(4096);
  Status st;
  Names(block, &st);
  EXPECT_EQ(st.err(), EUCLEAN);
}

TEST(DirBlock, RejectsANameLongerThanItsRecord) {
  std::vector<char> block;
  Add(block, 11, "abcd", EXT2_FT_REG_FILE, 12);
  block[6] = 40;  // name_len
  block.resize(4096);
  Status st;
  Names(block, &st);
  EXPECT_EQ(st.err(), EUCLEAN);
}

TEST(DirBlock, SixteenBitNamesWithoutFiletypeFeature) {
  std::vector<char> block;
  Add(block, 11, "abc", 0, 4096);
  std::vector<std::string> names;
  ASSERT_TRUE(WalkDirents(block, 4096, false, [&](const RawDirent& d) {
                names.emplace_back(d.name);
                EXPECT_EQ(d.file_type, 0);
                return true;
              }).ok());
  EXPECT_EQ(names, std::vector<std::string>{"abc"});
}

TEST(DirBlock, SixtyFourKiBBlocksEncodeAWholeBlockSpecially) {
  std::vector<char> block;
  Add(block, 11, "abc", EXT2_FT_REG_FILE, 12);
  uint16_t whole = 65535;  // EXT4_MAX_REC_LEN
  std::memcpy(&block[4], &whole, 2);
  block.resize(65536);
  int calls = 0;
  ASSERT_TRUE(WalkDirents(block, 65536, true, [&](const RawDirent& d) {
                ++calls;
                EXPECT_EQ(d.rec_len, 65536u);
                return true;
              }).ok());
  EXPECT_EQ(calls, 1);
}

}  // namespace
}  // namespace ext4fh
