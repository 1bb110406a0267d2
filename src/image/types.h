#pragma once

// Plain values the image layer hands to its callers.

#include <sys/types.h>
#include <time.h>

#include <cstdint>
#include <sys/stat.h>

#include <array>
#include <functional>
#include <optional>
#include <string>

namespace ext4fh {

struct OpenOptions {
  std::string path;     // image file or block device
  uint64_t offset = 0;  // byte offset of the filesystem inside `path`
  bool read_write = false;
  // Images with the MMP feature (multiple-mount protection): a first
  // read-write open runs the MMP protocol (which waits about 11 s, as the
  // kernel's mount does); a restarted server takes over the MMP block its
  // predecessor left in the "being checked" state, without waiting.
  bool mmp_takeover = false;
};

// The longest name a directory entry holds, in bytes (EXT2_NAME_LEN).
inline constexpr size_t kMaxNameBytes = 255;

// What to do when the image turns out to be corrupt (ext4's errors=).
enum class ErrorsPolicy { kContinue, kRemountRo, kPanic };

// When reads update atime (the mount options relatime, strictatime,
// noatime).
enum class AtimePolicy { kRelatime, kStrict, kNever };

// What stat(2) shows for an inode, decoded exactly as the kernel's ext4 does.
struct Attr {
  uint32_t ino = 0;
  uint32_t generation = 0;
  mode_t mode = 0;
  uint32_t nlink = 0;
  uid_t uid = 0;
  gid_t gid = 0;
  dev_t rdev = 0;
  uint64_t size = 0;
  uint64_t blocks = 0;  // 512-byte units, like st_blocks
  uint32_t blksize = 0;
  timespec atime{};
  timespec mtime{};
  timespec ctime{};
};

// One directory entry. `cookie` is the stable position just past it: pass
// it back to continue a listing after this entry.
struct DirEntry {
  uint32_t ino = 0;
  uint8_t type = 0;  // DT_* value
  std::string name;
  uint64_t cookie = 0;
};

// Called for each entry; returns false when the caller's buffer is full, in
// which case this entry is not consumed and the listing stops.
using DirEntrySink = std::function<bool(const DirEntry&)>;

struct FsStats {
  uint32_t block_size = 0;
  uint64_t blocks = 0;
  uint64_t blocks_free = 0;
  uint64_t blocks_available = 0;  // free minus the reserved blocks
  uint64_t inodes = 0;
  uint64_t inodes_free = 0;
  uint32_t name_max = 255;
};

// The on-disk state of an inode that decides whether a caller's reference
// to it is still good (DESIGN section 2).
struct InodeState {
  bool allocated = false;
  uint32_t links_count = 0;
  bool orphan = false;
  uint32_t generation = 0;
};

// Where valid inode numbers lie.
struct InodeRange {
  uint32_t inodes_count = 0;
  uint32_t first_ino = 0;
};

// A new inode to create.
struct NewNode {
  mode_t mode = 0;   // file type and requested permission bits
  mode_t umask = 0;  // applied unless the parent has a default ACL
  dev_t rdev = 0;    // devices
  std::string target;  // symlinks
};

// The inode a removed or replaced directory entry named, after the change.
struct Unlinked {
  uint32_t ino = 0;
  uint32_t generation = 0;
  uint32_t links = 0;  // 0: now an orphan, freed once the kernel forgets it
};

// What a RENAME_EXCHANGE of `from` (naming A) and `to` (naming B) records
// before it changes the image, so that a run after a crash can finish it
// from whatever state the crash and an fsck left (image_exchange.cc).
struct ExchangeNote {
  uint32_t ino[2] = {};         // A and B
  uint32_t generation[2] = {};  // theirs
  uint16_t links[2] = {};       // their link counts
  uint16_t dir_links[2] = {};   // the link counts of from's and to's parents

  // Three words for the request log; the first is never 0.
  std::array<uint64_t, 3> Pack() const;
  static ExchangeNote Unpack(const std::array<uint64_t, 3>& words);
};

// How a rename meets the request log (fuse/request_log.h).
struct RenameRun {
  bool interrupted = false;  // an earlier run of this rename was cut short
  std::optional<ExchangeNote> note;  // what that run recorded, if anything
  // Records the note of an exchange before it changes the image; may be
  // empty (no request log).
  std::function<void(const ExchangeNote&)> record;
};

// A setattr request; unset fields stay as they are.
struct AttrChange {
  std::optional<mode_t> mode;
  std::optional<uid_t> uid;
  std::optional<gid_t> gid;
  std::optional<uint64_t> size;
  std::optional<timespec> atime;  // a value, or kNow
  std::optional<timespec> mtime;
};

// In AttrChange times: "the current time".
inline constexpr timespec kNow{0, UTIME_NOW};

// A caller's reference to an inode. The image checks it under its lock, in
// the same critical section as the operation, so a request can never act on
// an inode number that was freed and reused in between.
class InodeClaim {
 public:
  explicit InodeClaim(uint32_t ino) : ino_(ino) {}
  virtual ~InodeClaim() = default;

  uint32_t ino() const { return ino_; }
  // Whether ino() may be looked at at all.
  virtual bool InRange(const InodeRange& range) const = 0;
  // Whether the inode as it is on disk is the one the caller means.
  virtual bool Matches(const InodeState& state) const = 0;

 private:
  uint32_t ino_;
};

}  // namespace ext4fh
