#pragma once

// Test images.

#include <string>
#include <vector>

#include "testutil/subprocess.h"

namespace ext4fh::testutil {

// The path of an image of `kind` (see images/make-image.sh --list): the one
// in $EXT4FH_TEST_IMAGES when the build_test_images fixture made it, else
// built once per test process into a temp dir. Tests that write or
// loop-mount must copy it first (CopyImage).
const std::string& TestImage(const std::string& kind);

// Copies `from` to `to`, keeping holes.
void CopyImage(const std::string& from, const std::string& to);

// Makes a filesystem image at `path` of `size` (mke2fs syntax, e.g. "64M")
// with mke2fs `args` (e.g. {"-t", "ext4", "-O", "inline_data"}), populated
// from `source_dir` when not empty. Fails the calling test on error.
void MakeFs(const std::string& path, const std::vector<std::string>& args,
            const std::string& source_dir, const std::string& size);

// Runs `e2fsck -fn` on `image`.
CommandResult Fsck(const std::string& image);

// The repository's source directory (for images/ scripts).
std::string SourceDir();

}  // namespace ext4fh::testutil
