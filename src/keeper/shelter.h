#pragma once

// Before the fsck hooks run after a crash: the open-unlinked files the
// kernel still holds get a name, so that e2fsck keeps them (the next server
// takes it away again; image/orphan_shelter.cc).

#include "fuse/shared_state.h"
#include "keeper/config.h"

namespace ext4fh {

// Shelters the held orphans of the image of `config`, using the node table
// in `state`. REQUIRES: no server runs. Failures are logged: the hooks run
// anyway, and at worst e2fsck frees those files.
void ShelterHeldOrphans(const KeeperConfig& config, SharedState& state);

}  // namespace ext4fh
