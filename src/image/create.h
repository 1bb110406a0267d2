#pragma once

// Creating inodes and linking them into a directory: regular files,
// devices, fifos, sockets, directories and symlinks. The inode is written
// with its final generation before any block whose checksum depends on it
// (metadata_csum seeds directory and extent block checksums with it).

#include <ext2fs/ext2fs.h>
#include <sys/types.h>

#include <cstdint>
#include <string_view>

#include "image/commit.h"
#include "image/inode_write.h"
#include "util/status.h"

namespace ext4fh {

struct CreateSpec {
  NewInodeSpec inode;             // mode carries the file type
  dev_t rdev = 0;                 // devices
  std::string_view target;        // symlinks
  uint64_t budget = 0;            // blocks the caller may allocate (space.h)
};

// Blocks an inode of `spec` needs at creation: the first block of a
// directory (unless inline) or of a slow symlink.
uint64_t BlocksToCreate(ext2_filsys fs, const CreateSpec& spec);

// Creates an inode as `spec` says and links it as `name` in `dir`. On
// failure nothing stays allocated. ENOSPC when it needs more blocks than
// spec.budget, its own and those of growing `dir`. Returns the new inode
// number.
Result<ext2_ino_t> CreateInode(ext2_filsys fs, MetadataCommit& commit,
                               ext2_ino_t dir, std::string_view name,
                               const CreateSpec& spec);

// The largest symlink target ext4 stores: a block minus the terminator.
uint32_t MaxSymlinkLength(ext2_filsys fs);

}  // namespace ext4fh
