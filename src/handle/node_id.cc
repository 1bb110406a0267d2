#include "handle/node_id.h"

namespace ext4fh {

uint64_t EncodeNodeId(NodeId id) {
  if (id.is_root()) {
    return kFuseRootId;
  }
  return (static_cast<uint64_t>(id.generation) << 32) | id.ino;
}

std::optional<NodeId> DecodeNodeId(uint64_t nodeid) {
  if (nodeid == kFuseRootId) {
    return kRootNodeId;
  }
  NodeId id{static_cast<uint32_t>(nodeid),
            static_cast<uint32_t>(nodeid >> 32)};
  if (id.ino == 0 || id.ino == 1 || id.ino == kRootIno) {
    return std::nullopt;
  }
  return id;
}

Verdict CheckRange(NodeId id, const InodeGeometry& geometry) {
  if (id.ino == 0 || id.ino > geometry.inodes_count) {
    return Verdict::kOutOfRange;
  }
  if (id.ino < geometry.first_ino && !id.is_root()) {
    return Verdict::kReserved;
  }
  return Verdict::kValid;
}

Verdict CheckFacts(NodeId id, const InodeFacts& facts) {
  if (!facts.allocated) {
    return Verdict::kUnallocated;
  }
  if (facts.links_count == 0 && !facts.orphan) {
    return Verdict::kUnlinked;
  }
  if (!id.is_root() && facts.generation != id.generation) {
    return Verdict::kGenerationMismatch;
  }
  return Verdict::kValid;
}

const char* VerdictName(Verdict verdict) {
  switch (verdict) {
    case Verdict::kValid:
      return "valid";
    case Verdict::kReserved:
      return "reserved inode";
    case Verdict::kOutOfRange:
      return "inode out of range";
    case Verdict::kUnallocated:
      return "inode not allocated";
    case Verdict::kUnlinked:
      return "inode unlinked";
    case Verdict::kGenerationMismatch:
      return "generation mismatch";
  }
  return "?";
}

}  // namespace ext4fh
