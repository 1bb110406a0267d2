#pragma once

// Turns a FUSE nodeid into an InodeClaim that the image checks with the
// staleness rules of handle/node_id.h.

#define FUSE_USE_VERSION 35
#include <fuse_lowlevel.h>

#include "handle/node_id.h"
#include "image/types.h"
#include "util/status.h"

namespace ext4fh {

class NodeClaim : public InodeClaim {
 public:
  explicit NodeClaim(NodeId id) : InodeClaim(id.ino), id_(id) {}

  bool InRange(const InodeRange& range) const override;
  bool Matches(const InodeState& state) const override;
  NodeId id() const { return id_; }

 private:
  NodeId id_;
};

// The claim for `nodeid`; ESTALE for values no handle ever encodes.
Result<NodeClaim> ClaimFor(fuse_ino_t nodeid);

// The NodeId the kernel must know an inode by: the root is always
// kRootNodeId, everything else is (ino, generation).
NodeId NodeIdFor(const Attr& attr);

}  // namespace ext4fh
