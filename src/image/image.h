#pragma once

// Image: the filesystem as the rest of ext4fh sees it.
//
// Every public method takes the one image mutex (libext2fs is not
// thread-safe); callers never lock. A method that acts on an inode first
// checks the caller's InodeClaim in the same critical section, so a handle
// whose inode was freed or reused is answered with ESTALE and never touches
// another file.

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "image/access.h"
#include "image/filesystem.h"
#include "image/types.h"
#include "util/status.h"

namespace ext4fh {

struct ImageOptions {
  OpenOptions open;
  // True when the user asked for read-write explicitly: then a feature
  // that forbids writing is an error rather than a reason to serve
  // read-only.
  bool write_required = false;
};

// Called with an entry and its attributes; returns false when full.
using DirEntryPlusSink = std::function<bool(const DirEntry&, const Attr&)>;

class Image {
 public:
  // Opens and checks the image. Refuses, with a one-line reason: an
  // unreadable file, something that is not ext2/3/4, unsupported features,
  // a filesystem marked with errors, and a journal needing recovery when
  // opening read-write. Falls back to read-only (with a warning) when the
  // image has ro_compat features ext4fh cannot write, unless
  // `write_required`.
  static Result<std::unique_ptr<Image>> Open(const ImageOptions& options);

  Image(const Image&) = delete;
  Image& operator=(const Image&) = delete;
  ~Image();

  bool read_only() const { return read_only_; }
  InodeRange range() const { return range_; }
  uint32_t block_size() const;

  // stat values of the claimed inode.
  Result<Attr> GetAttr(const InodeClaim& claim);
  // The inode `name` names in directory `dir`; "." and ".." included.
  // ENOTDIR when `dir` is not a directory, ENOENT when there is no entry.
  Result<Attr> Lookup(const InodeClaim& dir, std::string_view name);
  // Symlink target; EINVAL when not a symlink.
  Result<std::string> ReadLink(const InodeClaim& claim);
  // Reads file data at `offset`; returns the bytes read (short at EOF).
  Result<size_t> Read(const InodeClaim& claim, uint64_t offset,
                      std::span<char> out);
  // Lists directory entries from `cookie` (see directory.h).
  Status ReadDir(const InodeClaim& dir, uint64_t cookie,
                 const DirEntrySink& sink);
  // Like ReadDir, with each entry's attributes.
  Status ReadDirPlus(const InodeClaim& dir, uint64_t cookie,
                     const DirEntryPlusSink& sink);
  Result<FsStats> StatFs();
  Result<std::vector<std::string>> ListXattrs(const InodeClaim& claim,
                                              bool privileged);
  Result<std::string> GetXattr(const InodeClaim& claim, std::string_view name);
  // OK when `cred` may access the claimed inode for `mask` (R_OK|W_OK|X_OK),
  // EACCES otherwise. With mask F_OK it only checks the claim.
  Status Access(const InodeClaim& claim, const Credentials& cred, int mask);

  // Flushes and closes the filesystem. Later calls fail with EIO.
  Status Close();

 private:
  Image(Filesystem fs, bool read_only, uint64_t overhead);

  // Checks `claim` and reads its inode. REQUIRES: mu_ held.
  Result<ext2_inode_large> Resolve(const InodeClaim& claim);
  // Reads a directory entry's target inode, refusing entries that point
  // at free inodes (EUCLEAN, as ext4_lookup does). REQUIRES: mu_ held.
  Result<Attr> ReadLinkedAttr(uint32_t ino);
  Result<Attr> LookupLocked(uint32_t dir_ino, ext2_inode_large& dir,
                            std::string_view name);
  void LoadOrphans();

  std::mutex mu_;
  Filesystem fs_;
  bool read_only_;
  InodeRange range_;
  uint64_t overhead_blocks_;
  std::set<uint32_t> orphans_;
};

}  // namespace ext4fh
