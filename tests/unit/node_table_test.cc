// The memfd-backed lookup-count table, including growth and the states a
// killed server can leave behind.

#include "fuse/node_table.h"

#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <map>
#include <random>

#include "fuse/shared_state.h"

namespace ext4fh {
namespace {

TEST(NodeTable, CountsLookupsAndForgets) {
  auto state = SharedState::Create();
  ASSERT_TRUE(state.ok());
  NodeTable& t = **(*state)->nodes();
  EXPECT_EQ(t.Add(12, 1), 1u);
  EXPECT_EQ(t.Add(12, 2), 3u);
  EXPECT_EQ(t.Count(12), 3u);
  EXPECT_EQ(t.Forget(12, 2), 1u);
  EXPECT_EQ(t.Forget(12, 1), 0u);
  EXPECT_EQ(t.Count(12), 0u);
  EXPECT_EQ(t.size(), 0u);
}

TEST(NodeTable, ForgetOfUnknownNodeidIsHarmless) {
  auto state = SharedState::Create();
  NodeTable& t = **(*state)->nodes();
  EXPECT_EQ(t.Forget(0xdeadbeef, 5), 0u);
  EXPECT_EQ(t.size(), 0u);
}

TEST(NodeTable, OverForgetRemovesTheEntry) {
  auto state = SharedState::Create();
  NodeTable& t = **(*state)->nodes();
  t.Add(77, 2);
  EXPECT_EQ(t.Forget(77, 10), 0u);
  EXPECT_EQ(t.size(), 0u);
}

// Random adds and forgets against a std::map model, through several
// growths; deletion must never lose another entry of a probe run.
TEST(NodeTable, MatchesAModelThroughGrowth) {
  auto state = SharedState::Create();
  NodeTable& t = **(*state)->nodes();
  std::map<uint64_t, uint64_t> model;
  std::mt19937_64 rng(42);
  for (int i = 0; i < 200000; ++i) {
    uint64_t id = ((rng() % 4) << 32) | (rng() % 30000 + 11);
    if (rng() % 3 == 0) {
      uint64_t n = rng() % 3 + 1;
      uint64_t& m = model[id];
      uint64_t expect = m > n ? m - n : 0;
      ASSERT_EQ(t.Forget(id, n), expect);
      if (expect == 0) {
        model.erase(id);
      } else {
        m = expect;
      }
    } else {
      ASSERT_EQ(t.Add(id, 1), ++model[id]);
    }
  }
  EXPECT_EQ(t.size(), model.size());
  size_t seen = 0;
  t.ForEach([&](uint64_t id, uint64_t count) {
    ++seen;
    EXPECT_EQ(model.at(id), count);
  });
  EXPECT_EQ(seen, model.size());
}

// A second process (a restarted server) sees the same table.
TEST(NodeTable, SurvivesInAnotherMapping) {
  auto state = SharedState::Create();
  NodeTable& t = **(*state)->nodes();
  for (uint64_t i = 0; i < 10000; ++i) {
    t.Add((i << 32) | (i + 11), i % 5 + 1);
  }
  auto again = SharedState::Attach((*state)->fd());
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  NodeTable& u = **(*again)->nodes();
  EXPECT_EQ(u.size(), 10000u);
  for (uint64_t i = 0; i < 10000; i += 13) {
    EXPECT_EQ(u.Count((i << 32) | (i + 11)), i % 5 + 1);
  }
}

TEST(SharedState, KeepsTheInitRecord) {
  auto state = SharedState::Create();
  std::string request = "init-request-bytes";
  (*state)->SetInitRequest(request);
  EXPECT_FALSE((*state)->has_init_reply());
  (*state)->SetInitReply(std::string("reply"), 0x1234);
  auto again = SharedState::Attach((*state)->fd());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(std::string((*again)->init_request().data(),
                        (*again)->init_request().size()),
            request);
  EXPECT_TRUE((*again)->has_init_reply());
  EXPECT_EQ((*again)->init_want(), 0x1234u);
}

TEST(SharedState, RefusesAForeignMemfd) {
  int fd = memfd_create("junk", 0);
  ASSERT_EQ(ftruncate(fd, 4096), 0);
  EXPECT_FALSE(SharedState::Attach(fd).ok());
  close(fd);
}

}  // namespace
}  // namespace ext4fh
