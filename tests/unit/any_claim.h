#pragma once

// An InodeClaim for image-layer tests that name inodes by number: any
// allocated inode matches, whatever its generation.

#include "image/types.h"

namespace ext4fh {

class AnyClaim : public InodeClaim {
 public:
  using InodeClaim::InodeClaim;
  bool InRange(const InodeRange&) const override { return true; }
  bool Matches(const InodeState& s) const override { return s.allocated; }
};

}  // namespace ext4fh
