#pragma once

// Walking a mounted tree and comparing two walks, for the differential
// tests against the kernel's ext4.

#include <sys/stat.h>
#include <time.h>

#include <cstdint>
#include <map>
#include <string>

namespace ext4fh::testutil {

struct TreeEntry {
  mode_t mode = 0;
  uid_t uid = 0;
  gid_t gid = 0;
  uint64_t size = 0;
  uint64_t nlink = 0;
  uint64_t ino = 0;
  // What the parent's readdir said of the entry (0 for the root). NFS
  // servers build handles from one inode number and check the other.
  uint64_t d_ino = 0;
  unsigned d_type = 0;
  uint64_t rdev = 0;
  uint64_t blocks = 0;
  timespec atime{}, mtime{}, ctime{};
  std::map<std::string, std::string> xattrs;
  std::string target;        // symlinks
  uint64_t content_hash = 0; // regular files
};

// Relative path ("" for the root) -> what lstat, the xattr calls, readlink
// and a full read show.
using Tree = std::map<std::string, TreeEntry>;

// Walks everything under `root` with opendir/readdir and lstat, reading
// every regular file's content when `with_content`. An entry whose d_ino
// is not its st_ino is a difference DiffTrees reports.
Tree WalkTree(const std::string& root, bool with_content = true);

// A readable list of every difference between `a` and `b` ("" if none).
std::string DiffTrees(const Tree& a, const Tree& b);

}  // namespace ext4fh::testutil
