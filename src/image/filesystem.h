#pragma once

// RAII owner of an open libext2fs filesystem (ext2_filsys).

#include <ext2fs/ext2fs.h>

#include <cstdint>
#include <string>

#include "image/types.h"
#include "util/status.h"

namespace ext4fh {

class Filesystem {
 public:
  // Opens the filesystem at `options.path` and reads its bitmaps. The
  // libext2fs I/O cache is turned off, so every write reaches the image file
  // at once and a killed server loses no written block. Returns a Status
  // whose context is a one-line explanation fit for the user.
  static Result<Filesystem> Open(const OpenOptions& options);

  // Read-write opens of MMP images leave the MMP block in the "being
  // checked" state (EXT4_MMP_SEQ_FSCK) for as long as the filesystem is
  // open: the kernel, fuse2fs and e2fsck refuse it at once. Close() marks
  // it clean.

  // Reads and sanity-checks the primary superblock of the filesystem at
  // `options.offset` of `options.path` without libext2fs, so that its
  // features can be judged before libext2fs interprets anything else.
  static Result<ext2_super_block> ReadSuperblock(const OpenOptions& options);

  Filesystem(Filesystem&& other) noexcept;
  Filesystem& operator=(Filesystem&& other) noexcept;
  Filesystem(const Filesystem&) = delete;
  Filesystem& operator=(const Filesystem&) = delete;
  // Closes without reporting errors (they are logged). Use Close() when a
  // flush failure matters.
  ~Filesystem();

  ext2_filsys get() const { return fs_; }
  ext2_filsys operator->() const { return fs_; }

  // Flushes everything and closes. The object is empty afterwards.
  Status Close();

 private:
  explicit Filesystem(ext2_filsys fs) : fs_(fs) {}
  ext2_filsys fs_ = nullptr;
};

}  // namespace ext4fh
