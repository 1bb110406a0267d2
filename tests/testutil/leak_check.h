#pragma once

// A GoogleTest environment that fails the run when it leaves anything
// behind: mounts under the temp dirs (testutil::TempDir) it made, loop
// devices backed by files in them, or ext4fh processes (keepers and
// servers) that name them or are children of the test binary.

namespace ext4fh::testutil {

// Registers the environment; call once from a test binary (the
// integration test main does, and so does differential_test).
void RegisterLeakCheck();

}  // namespace ext4fh::testutil
