#pragma once

// Image: the filesystem as the rest of ext4fh sees it.
//
// Every public method takes the one image mutex (libext2fs is not
// thread-safe); callers never lock. A method that acts on an inode first
// checks the caller's InodeClaim in the same critical section, so a handle
// whose inode was freed or reused is answered with ESTALE and never touches
// another file.

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <source_location>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "image/access.h"
#include "image/types.h"
#include "util/status.h"

// libext2fs's types, named only in private declarations: nothing outside
// the image layer includes libext2fs.
struct ext2_inode_large;
struct struct_ext2_filsys;

namespace ext4fh {

class Filesystem;
class MetadataCommit;
class OrphanList;

struct ImageOptions {
  OpenOptions open;
  // True when the user asked for read-write explicitly: then a feature
  // that forbids writing is an error rather than a reason to serve
  // read-only.
  bool write_required = false;
  // A restarted server serves on an image that a predecessor was serving:
  // errors recorded meanwhile (errors=continue or remount-ro) do not stop
  // it, as they would a first mount.
  bool resuming = false;
  // The errors= mount option; when not given, the superblock's s_errors
  // (tune2fs -e) decides, as for the kernel's ext4.
  std::optional<ErrorsPolicy> errors;
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
  // `write_required`. A resumed image with errors recorded under
  // errors=remount-ro is served read-only: its predecessor went read-only.
  static Result<std::unique_ptr<Image>> Open(const ImageOptions& options);

  // Checks the image as Open() would, without opening it read-write (so
  // without running MMP or marking it mounted). Returns whether Open()
  // would serve it read-only.
  static Result<bool> Probe(const ImageOptions& options);

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

  // --- Changes (image_namespace.cc, image_write.cc). Each one reaches the
  // image before it returns (commit.h). All fail with EROFS when the image
  // is read-only, and EPERM on immutable or append-only inodes.

  // Creates `name` in `dir`: a file, device, fifo, socket, directory or
  // symlink by node.mode, owned by `cred`, with ext4's rules for the
  // setgid bit, inherited flags and default ACLs.
  Result<Attr> Make(const InodeClaim& dir, std::string_view name,
                    const NewNode& node, const Credentials& cred);
  // A new name for `target` in `dir`.
  Result<Attr> Link(const InodeClaim& target, const InodeClaim& dir,
                    std::string_view name);
  // Removes `name` from `dir` (rmdir when `directory`). An inode left with
  // no links becomes an orphan until ReleaseIfOrphan().
  Result<Unlinked> Unlink(const InodeClaim& dir, std::string_view name,
                          bool directory);
  // rename(2) with RENAME_NOREPLACE and RENAME_EXCHANGE. Returns the inode
  // the destination named before, if one was replaced. `run.interrupted`:
  // an earlier run of this very rename was cut short by a crash; finish it
  // (the file may already be linked under both names, or only the new). An
  // exchange records its note through `run.record` before it changes the
  // image, and finishes from `run.note` when resent; EIO when fsck has
  // since cleared one of its inodes (image_exchange.cc).
  Result<std::optional<Unlinked>> Rename(const InodeClaim& from_dir,
                                         std::string_view from,
                                         const InodeClaim& to_dir,
                                         std::string_view to, unsigned flags,
                                         const RenameRun& run = {});
  // Frees inode `ino` if it is an orphan of that generation: the kernel
  // has forgotten it.
  Status ReleaseIfOrphan(uint32_t ino, uint32_t generation);
  // Frees every orphan for which `keep` says no (all at a clean unmount;
  // those the kernel no longer holds after a restart).
  Status ReleaseOrphans(const std::function<bool(uint32_t ino,
                                                 uint32_t generation)>& keep);

  // Gives each orphan that `held` says the kernel still holds a name in
  // lost+found, so that an fsck keeps it (orphan_shelter.cc). Returns how
  // many. Directories are left alone.
  Result<int> ShelterOrphans(
      const std::function<bool(uint32_t ino, uint32_t generation)>& held);
  // Undoes ShelterOrphans: the inodes are orphans again. Returns how many.
  Result<int> UnshelterOrphans();

  Result<Attr> SetAttr(const InodeClaim& claim, const AttrChange& change,
                       const Credentials& cred);
  // Writes at `offset` (the kernel's offset, also for O_APPEND). Returns
  // the bytes written.
  Result<size_t> Write(const InodeClaim& claim, uint64_t offset,
                       std::span<const char> data, const Credentials& cred);
  // How much of `length` bytes at `offset` the claimed file can take
  // under its maximum size; EFBIG when none (generic_write_check_limits,
  // which the kernel applies before copy_file_range reads anything).
  Result<uint64_t> WritableLength(const InodeClaim& claim, uint64_t offset,
                                  uint64_t length);
  // fallocate(2) modes: 0, KEEP_SIZE, PUNCH_HOLE, ZERO_RANGE,
  // COLLAPSE_RANGE, INSERT_RANGE.
  Status Fallocate(const InodeClaim& claim, int mode, uint64_t offset,
                   uint64_t length);
  // lseek(2) with SEEK_DATA or SEEK_HOLE.
  Result<uint64_t> Seek(const InodeClaim& claim, uint64_t offset, int whence);
  // The physical block of logical block `lblk` (0 for a hole).
  Result<uint64_t> Bmap(const InodeClaim& claim, uint64_t lblk);
  Status SetXattr(const InodeClaim& claim, std::string_view name,
                  std::string_view value, int flags, const Credentials& cred);
  Status RemoveXattr(const InodeClaim& claim, std::string_view name);
  // chattr/lsattr flags (FS_IOC_GETFLAGS / FS_IOC_SETFLAGS).
  Result<uint32_t> GetFlags(const InodeClaim& claim);
  Status SetFlags(const InodeClaim& claim, uint32_t flags,
                  const Credentials& cred);
  // Discards free blocks of at least `min_blocks` in [first, first+count):
  // holes are punched in the image file. Returns the bytes discarded.
  // EINVAL, as ext4's FITRIM, when `length` is below a block, the range
  // starts past the filesystem, or `min_length` exceeds a block group.
  Result<uint64_t> Trim(uint64_t first_byte, uint64_t length,
                        uint64_t min_length);
  // Makes everything written so far durable (fsync of the image).
  Status Sync();

  // Whether a read of the claimed inode now would update its atime. The
  // kernel serves cached reads without asking, so a server that must see
  // the read to update atime tells the kernel to drop the cache at open.
  Result<bool> AtimeDue(const InodeClaim& claim);
  void set_atime_policy(AtimePolicy policy) { atime_ = policy; }

  // Whether a corruption with errors=panic was seen: the server must stop.
  bool panicked() const { return panicked_.load(); }
  // What a corruption leads to: the errors= option, else the superblock's.
  ErrorsPolicy errors_policy() const { return errors_; }

  // Flushes and closes the filesystem. A clean unmount frees the remaining
  // orphans and marks the filesystem clean (EXT2_VALID_FS); otherwise
  // (handing over to another server) both are left for the next one.
  // Later calls fail with EIO.
  Status Close(bool clean_unmount = true);

 private:
  Image(Filesystem filesystem, bool read_only, uint64_t overhead,
        ErrorsPolicy errors);

  // The open libext2fs filesystem.
  struct_ext2_filsys* fs() const;

  // Checks `claim` and reads its inode. REQUIRES: mu_ held.
  Result<ext2_inode_large> Resolve(const InodeClaim& claim);
  // Whether `ino` is one of the superblock's own inodes (journal, quota,
  // orphan file), which handles never reach.
  bool IsHiddenInode(uint32_t ino) const;
  // Reads a directory entry's target inode, refusing entries that point
  // at free inodes (EUCLEAN, as ext4_lookup does). REQUIRES: mu_ held.
  Result<Attr> ReadLinkedAttr(uint32_t ino);
  Result<Attr> LookupLocked(uint32_t dir_ino, ext2_inode_large& dir,
                            std::string_view name);
  // Resolve() for a change: also EROFS on a read-only image.
  Result<ext2_inode_large> ResolveForChange(const InodeClaim& claim);
  // Resolves a directory for a change: ENOTDIR, EROFS.
  Result<ext2_inode_large> ResolveDirForChange(const InodeClaim& claim);
  Result<uint32_t> FindEntry(uint32_t dir_ino, ext2_inode_large& dir,
                             std::string_view name);
  Result<Attr> AttrOf(uint32_t ino);
  // Drops a link of inode `ino` (orphaning it at zero). `directory`: the
  // entry was a subdirectory, which loses all its links.
  Result<Unlinked> DropLink(uint32_t ino, bool directory, const timespec& now);
  Status CheckRenameTarget(uint32_t dir, uint32_t src, uint32_t dst,
                           bool src_is_dir, bool dst_is_dir, unsigned flags);
  Status MoveDirectory(uint32_t dir, uint32_t from, uint32_t to,
                       const timespec& now);
  // The two names of an exchange (image_exchange.cc).
  struct ExchangeNames {
    uint32_t from_dir;
    std::string_view from;
    uint32_t to_dir;
    std::string_view to;
  };
  // The first run of an exchange of A (`a`) and B (`b`), noted in `note`.
  Status Exchange(const ExchangeNames& x, const ExchangeNote& note,
                  const ext2_inode_large& a, const ext2_inode_large& b,
                  const RenameRun& run);
  // Rewrites `to` to A and `from` to B; `from_first` across directories.
  Status SwapEntries(const ExchangeNames& x, const ExchangeNote& note,
                     std::array<mode_t, 2> modes, bool from_first);
  // Sets "..", link counts and times as they are after the exchange.
  Status SettleExchange(const ExchangeNames& x, const ExchangeNote& note,
                        std::array<mode_t, 2> modes);
  // Finishes an exchange from its note, whatever a crash and fsck left.
  Status FinishExchange(const ExchangeNames& x, const ExchangeNote& note);
  Status PutEntry(uint32_t dir, std::string_view name, uint32_t ino,
                  mode_t mode);
  Status DropFsckName(uint32_t ino, bool directory);
  Status FinishInterruptedRename(uint32_t from_dir, std::string_view from,
                                 uint32_t inode);
  Status ApplyAcls(uint32_t dir, uint32_t ino, mode_t* mode);
  Status ChmodAcl(uint32_t ino, mode_t mode);
  Result<bool> SetAccessAcl(uint32_t ino, ext2_inode_large& inode,
                            std::string_view value, const Credentials& cred);
  Status FreeOrphan(uint32_t ino);
  // Commits the request's changes, and records a corruption among them
  // (RecordCorruption) with `where`, the calling operation.
  Status Finish(Status status,
                std::source_location where = std::source_location::current());
  template <typename T>
  Result<T> Finish(Result<T> result, std::source_location where =
                                         std::source_location::current()) {
    Status st = Finish(result.status(), where);
    return st.ok() ? std::move(result) : Result<T>(st);
  }
  // Records the error in the superblock as the kernel's save_error_info
  // does (function and line of `where`, the inode last resolved) and
  // applies the errors= policy.
  void RecordCorruption(const Status& status, const std::source_location& where);
  bool NeedsAtimeUpdate(const ext2_inode_large& inode, const timespec& now) const;
  // Updates the atime of an inode that was just read, by the atime policy.
  Status TouchAtime(uint32_t ino, ext2_inode_large& inode);
  Status MarkMounted();

  std::mutex mu_;
  std::unique_ptr<Filesystem> fs_;
  bool read_only_;
  InodeRange range_;
  uint64_t overhead_blocks_;
  std::unique_ptr<OrphanList> orphans_;
  std::unique_ptr<MetadataCommit> commit_;
  ErrorsPolicy errors_;
  // The inode the current request resolved last: where an error is
  // recorded as found (0 when none).
  uint32_t error_ino_ = 0;
  AtimePolicy atime_ = AtimePolicy::kRelatime;
  std::atomic<bool> panicked_{false};
};

}  // namespace ext4fh
