#pragma once

// The FUSE nodeid is a persistent file handle (DESIGN section 2):
//
//   nodeid = (uint64(i_generation) << 32) | ino
//
// with one exception: ext4's root, inode 2, is FUSE's root nodeid 1. Inode 1
// (bad blocks) is never exposed, so nodeid 1 is unambiguous, and nodeid 2 is
// never issued (the root is always 1), so it decodes to nothing.
//
// This file is pure: no I/O. The image layer gathers the on-disk facts about
// an inode and asks Validate() whether a nodeid still names it. Every
// failure means ESTALE to the kernel: the handle is dead, never "not found".

#include <cstdint>
#include <optional>

namespace ext4fh {

inline constexpr uint32_t kRootIno = 2;        // ext4's root directory
inline constexpr uint64_t kFuseRootId = 1;     // FUSE_ROOT_ID

// An inode number plus the generation it had when the handle was issued.
struct NodeId {
  uint32_t ino = 0;
  uint32_t generation = 0;

  bool is_root() const { return ino == kRootIno; }
  friend bool operator==(const NodeId&, const NodeId&) = default;
};

// The root's NodeId. Its generation is always 0, because that is what the
// kernel gives FUSE's root inode and puts into NFS handles for it.
inline constexpr NodeId kRootNodeId{kRootIno, 0};

// Encodes `id` as a FUSE nodeid. The root encodes as 1 whatever its
// generation. REQUIRES: id.ino != 0 and id.ino != 1.
uint64_t EncodeNodeId(NodeId id);

// Decodes a FUSE nodeid. Returns nullopt for values no EncodeNodeId() call
// produces: 0, inode 0 or 1 with any generation, and inode 2 outside nodeid 1.
std::optional<NodeId> DecodeNodeId(uint64_t nodeid);

// Filesystem-wide numbers needed to range-check an inode number.
struct InodeGeometry {
  uint32_t inodes_count = 0;  // s_inodes_count: the last valid inode number
  uint32_t first_ino = 11;    // s_first_ino: first non-reserved inode
};

// What the image says about one inode number right now.
struct InodeFacts {
  bool allocated = false;   // set in the inode bitmap
  uint32_t links_count = 0; // i_links_count
  bool orphan = false;      // on the orphan list (open but unlinked)
  uint32_t generation = 0;  // i_generation
};

// Why a nodeid is or is not valid.
enum class Verdict {
  kValid,
  kReserved,            // a reserved inode other than the root
  kOutOfRange,          // 0 or beyond s_inodes_count
  kUnallocated,         // clear in the inode bitmap
  kUnlinked,            // no links and not an orphan
  kGenerationMismatch,  // the inode number was reused
};

// Checks the range rules that need no inode read. Returns kValid, kReserved
// or kOutOfRange.
Verdict CheckRange(NodeId id, const InodeGeometry& geometry);

// Checks `id` against the on-disk `facts` of its inode. The root's generation
// is not compared (see kRootNodeId). REQUIRES: CheckRange(id) == kValid.
Verdict CheckFacts(NodeId id, const InodeFacts& facts);

// A short name for logs, e.g. "generation mismatch".
const char* VerdictName(Verdict verdict);

}  // namespace ext4fh
