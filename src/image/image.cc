#include "image/image.h"
#include "image/commit.h"
#include "image/filesystem.h"
#include "image/orphans.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <string>

#include "image/directory.h"
#include "image/errcode.h"
#include "image/features.h"
#include "image/file_data.h"
#include "image/fs_stats.h"
#include "image/inode.h"
#include "image/inode_write.h"
#include "image/xattr.h"
#include "util/log.h"

namespace ext4fh {
namespace {

Status Stale(const InodeClaim& claim) {
  return Status::Error(ESTALE, "stale handle for inode " +
                                   std::to_string(claim.ino()));
}

Status RefuseReason(const std::string& path, ext2_super_block& sb,
                    bool read_write, bool resuming) {
  FeatureVerdict features = CheckFeatures(sb);
  if (!features.can_read) {
    return Status::Error(EOPNOTSUPP, path + ": unsupported filesystem features: " +
                                         features.blocking_read);
  }
  if ((sb.s_state & EXT2_ERROR_FS) && !resuming) {
    return Status::Error(EUCLEAN, path + ": filesystem has errors recorded; "
                                         "run e2fsck first");
  }
  if (read_write && ext2fs_has_feature_journal_needs_recovery(&sb)) {
    return Status::Error(EUCLEAN, path + ": journal needs recovery; run "
                                         "e2fsck first or mount with -o ro");
  }
  return OkStatus();
}

// The errors= option, or the superblock's s_errors when it is not given.
// The kernel's ext4 (ext4_set_def_opts) takes an unset or unknown s_errors
// as remount-ro (measured on 6.18: /proc/mounts shows errors=remount-ro).
ErrorsPolicy ChooseErrorsPolicy(const ImageOptions& options,
                                const ext2_super_block& sb) {
  if (options.errors) {
    return *options.errors;
  }
  switch (sb.s_errors) {
    case EXT2_ERRORS_CONTINUE:
      return ErrorsPolicy::kContinue;
    case EXT2_ERRORS_PANIC:
      return ErrorsPolicy::kPanic;
    default:
      return ErrorsPolicy::kRemountRo;
  }
}

// Decides read-only or read-write from the features and the request.
Result<bool> DecideReadOnly(const ImageOptions& options,
                            const ext2_super_block& sb) {
  if (!options.open.read_write) {
    return true;
  }
  if (options.resuming && (sb.s_state & EXT2_ERROR_FS) &&
      ChooseErrorsPolicy(options, sb) == ErrorsPolicy::kRemountRo) {
    // The predecessor went read-only on corruption, and no hook repaired
    // it since: stay read-only.
    LOG(WARNING) << options.open.path << ": errors recorded; serving "
                 << "read-only (errors=remount-ro)";
    return true;
  }
  FeatureVerdict features = CheckFeatures(sb);
  if (features.can_write) {
    return false;
  }
  if (options.write_required) {
    return Status::Error(EROFS, options.open.path +
                                    ": cannot write filesystems with features: " +
                                    features.blocking_write +
                                    "; mount with -o ro");
  }
  LOG(WARNING) << options.open.path << ": serving read-only because ext4fh "
               << "cannot write features: " << features.blocking_write;
  return true;
}

}  // namespace

Result<bool> Image::Probe(const ImageOptions& options) {
  ASSIGN_OR_RETURN(ext2_super_block sb,
                   Filesystem::ReadSuperblock(options.open));
  RETURN_IF_ERROR(RefuseReason(options.open.path, sb, false, options.resuming));
  ASSIGN_OR_RETURN(bool read_only, DecideReadOnly(options, sb));
  RETURN_IF_ERROR(
      RefuseReason(options.open.path, sb, !read_only, options.resuming));
  OpenOptions open = options.open;
  open.read_write = false;
  ASSIGN_OR_RETURN(Filesystem fs, Filesystem::Open(open));
  RETURN_IF_ERROR(fs.Close());
  return read_only;
}

Result<std::unique_ptr<Image>> Image::Open(const ImageOptions& options) {
  ASSIGN_OR_RETURN(ext2_super_block sb,
                   Filesystem::ReadSuperblock(options.open));
  RETURN_IF_ERROR(RefuseReason(options.open.path, sb, false, options.resuming));
  ASSIGN_OR_RETURN(bool read_only, DecideReadOnly(options, sb));
  RETURN_IF_ERROR(
      RefuseReason(options.open.path, sb, !read_only, options.resuming));
  OpenOptions open = options.open;
  open.read_write = !read_only;
  ASSIGN_OR_RETURN(Filesystem fs, Filesystem::Open(open));
  ASSIGN_OR_RETURN(uint64_t overhead, ComputeOverheadBlocks(fs.get()));
  std::unique_ptr<Image> image(new Image(std::move(fs), read_only, overhead,
                                         ChooseErrorsPolicy(options, sb)));
  if (!read_only) {
    RETURN_IF_ERROR(image->MarkMounted());
  }
  return image;
}

Image::Image(Filesystem filesystem, bool read_only, uint64_t overhead,
             ErrorsPolicy errors)
    : fs_(std::make_unique<Filesystem>(std::move(filesystem))),
      read_only_(read_only),
      overhead_blocks_(overhead),
      orphans_(std::make_unique<OrphanList>()),
      errors_(errors) {
  range_.inodes_count = fs()->super->s_inodes_count;
  range_.first_ino = EXT2_FIRST_INODE(fs()->super);
  orphans_->Load(fs());
  if (!read_only_) {
    commit_ = std::make_unique<MetadataCommit>(fs());
  }
}

// Clears EXT2_VALID_FS on disk for as long as the image is mounted
// read-write, as the kernel does; a clean Close() sets it again.
Status Image::MarkMounted() {
  fs()->super->s_state &= ~EXT2_VALID_FS;
  commit_->SuperChanged();
  return commit_->Commit();
}

ext2_filsys Image::fs() const { return fs_->get(); }

Image::~Image() {
  Status st = Close();
  if (!st.ok()) {
    LOG(ERROR) << "Cannot close image: " << st.ToString();
  }
}

uint32_t Image::block_size() const {
  return fs() ? fs()->blocksize : 0;
}

// Inodes the superblock uses for itself, which may lie past s_first_ino
// (the orphan file, project quota, a journal made by tune2fs): they are
// not files, and no handle may reach them.
bool Image::IsHiddenInode(uint32_t ino) const {
  const ext2_super_block* sb = fs()->super;
  for (uint32_t hidden :
       {sb->s_journal_inum, sb->s_usr_quota_inum, sb->s_grp_quota_inum,
        sb->s_prj_quota_inum, sb->s_orphan_file_inum}) {
    if (hidden != 0 && hidden == ino) {
      return true;
    }
  }
  return false;
}

Result<ext2_inode_large> Image::Resolve(const InodeClaim& claim) {
  if (fs() == nullptr) {
    return Status::Error(EIO, "image closed");
  }
  if (!claim.InRange(range_) || IsHiddenInode(claim.ino())) {
    return Stale(claim);
  }
  InodeState state;
  state.allocated = ext2fs_test_inode_bitmap2(fs()->inode_map, claim.ino());
  if (!state.allocated) {
    return Stale(claim);
  }
  error_ino_ = claim.ino();
  ASSIGN_OR_RETURN(ext2_inode_large inode, ReadInode(fs(), claim.ino()));
  state.links_count = inode.i_links_count;
  state.orphan = orphans_->Contains(claim.ino());
  state.generation = inode.i_generation;
  if (!claim.Matches(state)) {
    return Stale(claim);
  }
  return inode;
}

Result<Attr> Image::GetAttr(const InodeClaim& claim) {
  std::lock_guard lock(mu_);
  auto run = [&]() -> Result<Attr> {
    ASSIGN_OR_RETURN(ext2_inode_large inode, Resolve(claim));
    return DecodeAttr(fs(), claim.ino(), inode);
  };
  return Finish(run());
}

Result<Attr> Image::ReadLinkedAttr(uint32_t ino) {
  if (ino < EXT2_ROOT_INO || ino > range_.inodes_count ||
      !ext2fs_test_inode_bitmap2(fs()->inode_map, ino)) {
    return Status::Error(EUCLEAN, "entry points to free inode " +
                                      std::to_string(ino));
  }
  ASSIGN_OR_RETURN(ext2_inode_large inode, ReadInode(fs(), ino));
  if (inode.i_links_count == 0 && !orphans_->Contains(ino)) {
    return Status::Error(EUCLEAN, "entry points to deleted inode " +
                                      std::to_string(ino));
  }
  return DecodeAttr(fs(), ino, inode);
}

Result<Attr> Image::LookupLocked(uint32_t dir_ino, ext2_inode_large& dir,
                                 std::string_view name) {
  // "." of any inode is the inode itself: the kernel asks it to turn an
  // NFS handle of any file type back into an inode (DESIGN section 7).
  if (name == ".") {
    return DecodeAttr(fs(), dir_ino, dir);
  }
  if (!LINUX_S_ISDIR(dir.i_mode)) {
    return Status::Error(ENOTDIR);
  }
  Directory directory(fs(), dir_ino, dir);
  uint32_t target = 0;
  if (name == "..") {
    ASSIGN_OR_RETURN(target, directory.Parent());
  } else {
    ASSIGN_OR_RETURN(target, directory.Find(name));
  }
  return ReadLinkedAttr(target);
}

Result<Attr> Image::Lookup(const InodeClaim& dir, std::string_view name) {
  std::lock_guard lock(mu_);
  auto run = [&]() -> Result<Attr> {
    ASSIGN_OR_RETURN(ext2_inode_large inode, Resolve(dir));
    return LookupLocked(dir.ino(), inode, name);
  };
  return Finish(run());
}

Result<std::string> Image::ReadLink(const InodeClaim& claim) {
  std::lock_guard lock(mu_);
  auto run = [&]() -> Result<std::string> {
    ASSIGN_OR_RETURN(ext2_inode_large inode, Resolve(claim));
    if (!LINUX_S_ISLNK(inode.i_mode)) {
      return Status::Error(EINVAL);
    }
    ASSIGN_OR_RETURN(std::string target,
                     ReadSymlinkTarget(fs(), claim.ino(), inode));
    RETURN_IF_ERROR(TouchAtime(claim.ino(), inode));
    return target;
  };
  return Finish(run());
}

Result<size_t> Image::Read(const InodeClaim& claim, uint64_t offset,
                           std::span<char> out) {
  std::lock_guard lock(mu_);
  auto run = [&]() -> Result<size_t> {
    ASSIGN_OR_RETURN(ext2_inode_large inode, Resolve(claim));
    if (LINUX_S_ISDIR(inode.i_mode)) {
      return Status::Error(EISDIR);
    }
    ASSIGN_OR_RETURN(size_t n,
                     ReadFileData(fs(), claim.ino(), inode, offset, out));
    RETURN_IF_ERROR(TouchAtime(claim.ino(), inode));
    return n;
  };
  return Finish(run());
}

Status Image::ReadDir(const InodeClaim& dir, uint64_t cookie,
                      const DirEntrySink& sink) {
  std::lock_guard lock(mu_);
  auto run = [&]() -> Status {
    ASSIGN_OR_RETURN(ext2_inode_large inode, Resolve(dir));
    if (!LINUX_S_ISDIR(inode.i_mode)) {
      return Status::Error(ENOTDIR);
    }
    RETURN_IF_ERROR(Directory(fs(), dir.ino(), inode).List(cookie, sink));
    return TouchAtime(dir.ino(), inode);
  };
  return Finish(run());
}

Status Image::ReadDirPlus(const InodeClaim& dir, uint64_t cookie,
                          const DirEntryPlusSink& sink) {
  std::lock_guard lock(mu_);
  auto run = [&]() -> Status {
    ASSIGN_OR_RETURN(ext2_inode_large inode, Resolve(dir));
    if (!LINUX_S_ISDIR(inode.i_mode)) {
      return Status::Error(ENOTDIR);
    }
    Status inner;
    Status st = Directory(fs(), dir.ino(), inode)
                    .List(cookie, [&](const DirEntry& entry) {
                      Result<Attr> attr = ReadLinkedAttr(entry.ino);
                      if (!attr.ok()) {
                        inner = attr.status();
                        return false;
                      }
                      return sink(entry, *attr);
                    });
    RETURN_IF_ERROR(inner);
    RETURN_IF_ERROR(st);
    return TouchAtime(dir.ino(), inode);
  };
  return Finish(run());
}

Result<FsStats> Image::StatFs() {
  std::lock_guard lock(mu_);
  if (fs() == nullptr) {
    return Status::Error(EIO, "image closed");
  }
  return ComputeFsStats(fs(), overhead_blocks_);
}

Result<std::vector<std::string>> Image::ListXattrs(const InodeClaim& claim,
                                                   bool privileged) {
  std::lock_guard lock(mu_);
  auto run = [&]() -> Result<std::vector<std::string>> {
    RETURN_IF_ERROR(Resolve(claim).status());
    return ext4fh::ListXattrs(fs(), claim.ino(), privileged);
  };
  return Finish(run());
}

Result<std::string> Image::GetXattr(const InodeClaim& claim,
                                    std::string_view name) {
  std::lock_guard lock(mu_);
  auto run = [&]() -> Result<std::string> {
    RETURN_IF_ERROR(Resolve(claim).status());
    return ext4fh::GetXattr(fs(), claim.ino(), name);
  };
  return Finish(run());
}

Status Image::Access(const InodeClaim& claim, const Credentials& cred,
                     int mask) {
  std::lock_guard lock(mu_);
  auto run = [&]() -> Status {
    ASSIGN_OR_RETURN(ext2_inode_large inode, Resolve(claim));
    if (mask == F_OK) {
      return OkStatus();
    }
    Attr attr = DecodeAttr(fs(), claim.ino(), inode);
    std::optional<std::string> acl;
    Result<std::string> value =
        ext4fh::GetXattr(fs(), claim.ino(), "system.posix_acl_access");
    if (value.ok()) {
      acl = std::move(value).value();
    }
    if (!MayAccess(attr, acl, cred, mask)) {
      return Status::Error(EACCES);
    }
    return OkStatus();
  };
  return Finish(run());
}

Result<ext2_inode_large> Image::ResolveForChange(const InodeClaim& claim) {
  ASSIGN_OR_RETURN(ext2_inode_large inode, Resolve(claim));
  if (read_only_) {
    return Status::Error(EROFS);
  }
  return inode;
}

Result<ext2_inode_large> Image::ResolveDirForChange(const InodeClaim& claim) {
  ASSIGN_OR_RETURN(ext2_inode_large inode, ResolveForChange(claim));
  if (!LINUX_S_ISDIR(inode.i_mode)) {
    return Status::Error(ENOTDIR);
  }
  return inode;
}

Result<uint32_t> Image::FindEntry(uint32_t dir_ino, ext2_inode_large& dir,
                                  std::string_view name) {
  if (name.size() > EXT2_NAME_LEN) {
    return Status::Error(ENAMETOOLONG);
  }
  return Directory(fs(), dir_ino, dir).Find(name);
}

Result<Attr> Image::AttrOf(uint32_t ino) {
  ASSIGN_OR_RETURN(ext2_inode_large inode, ReadInode(fs(), ino));
  return DecodeAttr(fs(), ino, inode);
}

namespace {

// The short name of the function `where` is in: "ReadDir" for
// "ext4fh::Status ext4fh::Image::ReadDir(const ...)".
std::string FunctionName(const std::source_location& where) {
  std::string_view name = where.function_name();
  name = name.substr(0, name.find('('));
  size_t cut = name.find_last_of(": ");
  return std::string(cut == std::string_view::npos ? name
                                                   : name.substr(cut + 1));
}

// What the superblock keeps of one error, in both its first-error and its
// last-error fields (the kernel's ext4_update_super).
struct ErrorRecord {
  int64_t time = 0;
  uint8_t func[32] = {};
  uint32_t line = 0;
  uint32_t ino = 0;
  uint64_t block = 0;  // ext4fh's errors do not say which block: 0
  uint8_t errcode = 0;
};

void StoreFirstError(ext2_super_block& sb, const ErrorRecord& r) {
  sb.s_first_error_time = static_cast<uint32_t>(r.time);
  sb.s_first_error_time_hi = static_cast<uint8_t>(r.time >> 32);
  std::memcpy(sb.s_first_error_func, r.func, sizeof(r.func));
  sb.s_first_error_line = r.line;
  sb.s_first_error_ino = r.ino;
  sb.s_first_error_block = r.block;
  sb.s_first_error_errcode = r.errcode;
}

void StoreLastError(ext2_super_block& sb, const ErrorRecord& r) {
  sb.s_last_error_time = static_cast<uint32_t>(r.time);
  sb.s_last_error_time_hi = static_cast<uint8_t>(r.time >> 32);
  std::memcpy(sb.s_last_error_func, r.func, sizeof(r.func));
  sb.s_last_error_line = r.line;
  sb.s_last_error_ino = r.ino;
  sb.s_last_error_block = r.block;
  sb.s_last_error_errcode = r.errcode;
}

}  // namespace

// Records a corruption the way the kernel's ext4 does (save_error_info,
// then ext4_update_super): the superblock gets EXT2_ERROR_FS, a count, and
// the first and the last error's time, function, line, inode and code,
// which dumpe2fs shows and for which e2fsck -p forces a check. Then the
// errors= policy decides what happens next.
void Image::RecordCorruption(const Status& status,
                             const std::source_location& where) {
  LOG(ERROR) << "Image corruption in " << FunctionName(where) << ", inode "
             << error_ino_ << ": " << status.ToString();
  if (!commit_) {
    return;
  }
  ErrorRecord record{.time = Now().tv_sec,
                     .line = where.line(),
                     .ino = error_ino_,
                     .errcode = Ext4ErrorCode(status)};
  std::string func = FunctionName(where);
  std::memcpy(record.func, func.data(), std::min(func.size(), sizeof(record.func)));
  ext2_super_block& sb = *fs()->super;
  sb.s_state |= EXT2_ERROR_FS;
  sb.s_error_count++;
  if (sb.s_first_error_time == 0 && sb.s_first_error_time_hi == 0) {
    StoreFirstError(sb, record);
  }
  StoreLastError(sb, record);
  commit_->SuperChanged();
  if (errors_ == ErrorsPolicy::kRemountRo) {
    LOG(ERROR) << "errors=remount-ro: the image is now read-only";
    read_only_ = true;
  } else if (errors_ == ErrorsPolicy::kPanic) {
    LOG(ERROR) << "errors=panic: stopping";
    panicked_.store(true);
  }
}

Status Image::Finish(Status status, std::source_location where) {
  if (status.err() == EUCLEAN) {
    RecordCorruption(status, where);
  }
  error_ino_ = 0;
  if (commit_) {
    Status committed = commit_->Commit();
    if (!committed.ok() && status.ok()) {
      return committed;
    }
  }
  return status;
}

// relatime_need_update() and touch_atime(): never on a read-only image or
// an inode with the noatime flag.
bool Image::NeedsAtimeUpdate(const ext2_inode_large& inode,
                             const timespec& now) const {
  if (read_only_ || atime_ == AtimePolicy::kNever ||
      (inode.i_flags & EXT2_NOATIME_FL)) {
    return false;
  }
  if (atime_ == AtimePolicy::kStrict) {
    return true;
  }
  Attr a = DecodeAttr(fs(), 0, inode);
  auto not_after = [](const timespec& x, const timespec& y) {
    return x.tv_sec < y.tv_sec || (x.tv_sec == y.tv_sec && x.tv_nsec <= y.tv_nsec);
  };
  return not_after(a.atime, a.mtime) || not_after(a.atime, a.ctime) ||
         now.tv_sec - a.atime.tv_sec >= 24 * 60 * 60;
}

Status Image::TouchAtime(uint32_t ino, ext2_inode_large& inode) {
  timespec now = Now();
  if (!NeedsAtimeUpdate(inode, now)) {
    return OkStatus();
  }
  SetTimes(inode, kAtime, now);
  RETURN_IF_ERROR(WriteInode(fs(), ino, inode));
  return Finish(OkStatus());
}

Result<bool> Image::AtimeDue(const InodeClaim& claim) {
  std::lock_guard lock(mu_);
  ASSIGN_OR_RETURN(ext2_inode_large inode, Resolve(claim));
  return NeedsAtimeUpdate(inode, Now());
}

Status Image::Close(bool clean_unmount) {
  std::lock_guard lock(mu_);
  if (fs() == nullptr) {
    return OkStatus();
  }
  if (commit_) {
    if (clean_unmount) {
      for (uint32_t ino : std::set<uint32_t>(orphans_->members())) {
        RETURN_IF_ERROR(FreeOrphan(ino));
      }
      fs()->super->s_state |= EXT2_VALID_FS;
    }
    commit_->SuperChanged();
    RETURN_IF_ERROR(commit_->Commit());
    // ext2fs_close2 then rewrites everything, backup superblocks and
    // descriptors included.
    ext2fs_mark_super_dirty(fs());
    commit_.reset();
  }
  return fs_->Close();
}

}  // namespace ext4fh
