#include "fuse/node_claim.h"

#include <string>

namespace ext4fh {

bool NodeClaim::InRange(const InodeRange& range) const {
  return CheckRange(id_, InodeGeometry{range.inodes_count, range.first_ino}) ==
         Verdict::kValid;
}

bool NodeClaim::Matches(const InodeState& state) const {
  InodeFacts facts{state.allocated, state.links_count, state.orphan,
                   state.generation};
  return CheckFacts(id_, facts) == Verdict::kValid;
}

Result<NodeClaim> ClaimFor(fuse_ino_t nodeid) {
  std::optional<NodeId> id = DecodeNodeId(nodeid);
  if (!id) {
    return Status::Error(ESTALE, "invalid nodeid " + std::to_string(nodeid));
  }
  return NodeClaim(*id);
}

NodeId NodeIdFor(const Attr& attr) {
  if (attr.ino == kRootIno) {
    return kRootNodeId;
  }
  return NodeId{attr.ino, attr.generation};
}

}  // namespace ext4fh
