#pragma once

// A GoogleTest environment that fails the run when it leaves anything
// behind: FUSE or loop mounts under test temp dirs, attached loop devices,
// or ext4fh processes started by this test binary.

namespace ext4fh::testutil {

// Registers the environment; call once from a test binary (the
// integration test main does).
void RegisterLeakCheck();

}  // namespace ext4fh::testutil
