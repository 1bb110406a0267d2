// The nodeid codec and the staleness rules of DESIGN section 2, with every
// boundary: root <-> 1, inode 1, the last inode, generations 0 and
// 0xffffffff.

#include "handle/node_id.h"

#include <gtest/gtest.h>

namespace ext4fh {
namespace {

constexpr InodeGeometry kGeometry{/*inodes_count=*/8192, /*first_ino=*/11};

InodeFacts Live(uint32_t generation) {
  return InodeFacts{/*allocated=*/true, /*links_count=*/1, /*orphan=*/false,
                    generation};
}

TEST(NodeIdCodec, RootIsFuseRootWhateverItsGeneration) {
  EXPECT_EQ(EncodeNodeId(kRootNodeId), kFuseRootId);
  EXPECT_EQ(EncodeNodeId(NodeId{kRootIno, 7}), kFuseRootId);
  EXPECT_EQ(DecodeNodeId(kFuseRootId), kRootNodeId);
}

TEST(NodeIdCodec, GenerationIsTheHighWord) {
  EXPECT_EQ(EncodeNodeId(NodeId{12, 0}), 12u);
  EXPECT_EQ(EncodeNodeId(NodeId{12, 1}), (1ULL << 32) | 12);
  EXPECT_EQ(EncodeNodeId(NodeId{12, 0xffffffff}), 0xffffffff0000000cULL);
}

TEST(NodeIdCodec, RoundTripsAtTheBoundaries) {
  for (uint32_t ino : {3u, 11u, 12u, 8192u, 0xfffffffeu, 0xffffffffu}) {
    for (uint32_t gen : {0u, 1u, 0x80000000u, 0xffffffffu}) {
      NodeId id{ino, gen};
      std::optional<NodeId> back = DecodeNodeId(EncodeNodeId(id));
      ASSERT_TRUE(back.has_value()) << ino << ":" << gen;
      EXPECT_EQ(*back, id);
    }
  }
}

TEST(NodeIdCodec, RejectsValuesNoHandleEncodes) {
  EXPECT_FALSE(DecodeNodeId(0).has_value());
  EXPECT_FALSE(DecodeNodeId(2).has_value()) << "the root is only ever 1";
  EXPECT_FALSE(DecodeNodeId((5ULL << 32) | 2).has_value());
  EXPECT_FALSE(DecodeNodeId(1ULL << 32).has_value()) << "inode 0";
  EXPECT_FALSE(DecodeNodeId((1ULL << 32) | 1).has_value()) << "inode 1";
  EXPECT_FALSE(DecodeNodeId(0xffffffff00000001ULL).has_value());
  EXPECT_FALSE(DecodeNodeId(0xffffffff00000000ULL).has_value());
}

TEST(NodeIdRange, RootIsInRangeDespiteBeingReserved) {
  EXPECT_EQ(CheckRange(kRootNodeId, kGeometry), Verdict::kValid);
}

TEST(NodeIdRange, ReservedInodesAreRejected) {
  for (uint32_t ino : {1u, 3u, 5u, 7u, 8u, 10u}) {
    EXPECT_EQ(CheckRange(NodeId{ino, 0}, kGeometry), Verdict::kReserved) << ino;
  }
}

TEST(NodeIdRange, FirstNonReservedInodeIsValid) {
  EXPECT_EQ(CheckRange(NodeId{11, 0}, kGeometry), Verdict::kValid);
}

TEST(NodeIdRange, FirstInoComesFromTheSuperblock) {
  InodeGeometry big_first{8192, 20};
  EXPECT_EQ(CheckRange(NodeId{19, 0}, big_first), Verdict::kReserved);
  EXPECT_EQ(CheckRange(NodeId{20, 0}, big_first), Verdict::kValid);
}

TEST(NodeIdRange, LastInodeIsValidAndOneMoreIsNot) {
  EXPECT_EQ(CheckRange(NodeId{8192, 0}, kGeometry), Verdict::kValid);
  EXPECT_EQ(CheckRange(NodeId{8193, 0}, kGeometry), Verdict::kOutOfRange);
  EXPECT_EQ(CheckRange(NodeId{0xffffffff, 0}, kGeometry), Verdict::kOutOfRange);
  EXPECT_EQ(CheckRange(NodeId{0, 0}, kGeometry), Verdict::kOutOfRange);
}

TEST(NodeIdFacts, LiveInodeWithSameGenerationIsValid) {
  EXPECT_EQ(CheckFacts(NodeId{12, 0}, Live(0)), Verdict::kValid);
  EXPECT_EQ(CheckFacts(NodeId{12, 0xffffffff}, Live(0xffffffff)),
            Verdict::kValid);
}

TEST(NodeIdFacts, UnallocatedInodeIsStale) {
  InodeFacts facts = Live(0);
  facts.allocated = false;
  EXPECT_EQ(CheckFacts(NodeId{12, 0}, facts), Verdict::kUnallocated);
}

TEST(NodeIdFacts, NoLinksIsStaleUnlessOrphan) {
  InodeFacts facts = Live(4);
  facts.links_count = 0;
  EXPECT_EQ(CheckFacts(NodeId{12, 4}, facts), Verdict::kUnlinked);
  facts.orphan = true;
  EXPECT_EQ(CheckFacts(NodeId{12, 4}, facts), Verdict::kValid);
}

TEST(NodeIdFacts, GenerationMismatchIsStaleAtBothEnds) {
  EXPECT_EQ(CheckFacts(NodeId{12, 0}, Live(1)), Verdict::kGenerationMismatch);
  EXPECT_EQ(CheckFacts(NodeId{12, 0xffffffff}, Live(0)),
            Verdict::kGenerationMismatch);
  EXPECT_EQ(CheckFacts(NodeId{12, 0}, Live(0xffffffff)),
            Verdict::kGenerationMismatch);
}

TEST(NodeIdFacts, RootGenerationIsNotCompared) {
  EXPECT_EQ(CheckFacts(kRootNodeId, Live(12345)), Verdict::kValid);
}

TEST(NodeIdFacts, UnallocatedWinsOverOtherFailures) {
  InodeFacts facts{false, 0, false, 9};
  EXPECT_EQ(CheckFacts(NodeId{12, 1}, facts), Verdict::kUnallocated);
}

TEST(NodeIdVerdict, EveryVerdictHasAName) {
  for (Verdict v : {Verdict::kValid, Verdict::kReserved, Verdict::kOutOfRange,
                    Verdict::kUnallocated, Verdict::kUnlinked,
                    Verdict::kGenerationMismatch}) {
    EXPECT_STRNE(VerdictName(v), "?");
  }
}

}  // namespace
}  // namespace ext4fh
