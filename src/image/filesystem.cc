#include "image/filesystem.h"

#include <ext2fs/ext2_err.h>

#include <fcntl.h>
#include <unistd.h>

#include <cstring>
#include <mutex>
#include <utility>

#include "image/errcode.h"
#include "util/log.h"
#include "util/scoped_fd.h"

namespace ext4fh {
namespace {

void RegisterErrorTable() {
  static std::once_flag once;
  std::call_once(once, [] { initialize_ext2_error_table(); });
}

std::string OpenFailureReason(errcode_t code) {
  switch (code) {
    case EXT2_ET_BAD_MAGIC:
      return "not an ext2/ext3/ext4 filesystem";
    case EXT2_ET_SHORT_READ:
      return "image is truncated";
    case EXT2_ET_UNSUPP_FEATURE:
    case EXT2_ET_RO_UNSUPP_FEATURE:
      return "filesystem has features that libext2fs cannot handle";
    case EXT2_ET_MMP_FAILED:
    case EXT2_ET_MMP_FSCK_ON:
    case EXT2_ET_MMP_UNKNOWN_SEQ:
      return "image is in use (multiple-mount protection): " +
             ErrcodeMessage(code);
    default:
      return ErrcodeMessage(code);
  }
}

// Takes the MMP block over from a previous server of ours (the keeper's
// image lock says nobody else has the image) and marks it "being checked".
errcode_t TakeOverMmp(ext2_filsys fs) {
  fs->flags &= ~EXT2_FLAG_SKIP_MMP;
  errcode_t code = ext2fs_get_mem(fs->blocksize, &fs->mmp_buf);
  if (code == 0) {
    code = ext2fs_mmp_read(fs, fs->super->s_mmp_block, fs->mmp_buf);
  }
  if (code == 0) {
    static_cast<mmp_struct*>(fs->mmp_buf)->mmp_seq = EXT4_MMP_SEQ_FSCK;
    code = ext2fs_mmp_write(fs, fs->super->s_mmp_block, fs->mmp_buf);
  }
  return code;
}

}  // namespace

Result<Filesystem> Filesystem::Open(const OpenOptions& options) {
  RegisterErrorTable();
  int flags = EXT2_FLAG_64BITS;
  if (options.read_write) {
    flags |= EXT2_FLAG_RW;
  }
  if (!options.read_write || options.mmp_takeover) {
    flags |= EXT2_FLAG_SKIP_MMP;
  }
  std::string io_options;
  if (options.offset != 0) {
    io_options = "offset=" + std::to_string(options.offset);
  }
  ext2_filsys fs = nullptr;
  errcode_t code = ext2fs_open2(
      options.path.c_str(), io_options.empty() ? nullptr : io_options.c_str(),
      flags, 0, 0, unix_io_manager, &fs);
  if (code != 0) {
    return Status::Error(ErrnoFromErrcode(code),
                         options.path + ": " + OpenFailureReason(code), code);
  }
  Filesystem result(fs);
  if (options.read_write && options.mmp_takeover &&
      ext2fs_has_feature_mmp(fs->super)) {
    code = TakeOverMmp(fs);
    if (code != 0) {
      return Status::Error(ErrnoFromErrcode(code),
                           options.path + ": cannot take over MMP: " +
                               ErrcodeMessage(code),
                           code);
    }
  }
  code = io_channel_set_options(fs->io, "cache=off");
  if (code == 0) {
    code = ext2fs_read_bitmaps(fs);
  }
  if (code != 0) {
    return Status::Error(ErrnoFromErrcode(code),
                         options.path + ": cannot read allocation bitmaps: " +
                             ErrcodeMessage(code),
                         code);
  }
  return result;
}

Result<ext2_super_block> Filesystem::ReadSuperblock(
    const OpenOptions& options) {
  ScopedFd fd(open(options.path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) {
    return Status::Error(errno, options.path + ": cannot open image: " +
                                    std::strerror(errno));
  }
  ext2_super_block sb{};
  ssize_t n = pread(fd.get(), &sb, sizeof(sb),
                    static_cast<off_t>(options.offset + SUPERBLOCK_OFFSET));
  if (n < 0) {
    return Status::Error(errno, options.path + ": cannot read image: " +
                                    std::strerror(errno));
  }
  if (static_cast<size_t>(n) < sizeof(sb) || sb.s_magic != EXT2_SUPER_MAGIC) {
    return Status::Error(EINVAL, options.path +
                                     ": not an ext2/ext3/ext4 filesystem");
  }
  return sb;
}

Filesystem::Filesystem(Filesystem&& other) noexcept
    : fs_(std::exchange(other.fs_, nullptr)) {}

Filesystem& Filesystem::operator=(Filesystem&& other) noexcept {
  if (this != &other) {
    (void)Close();
    fs_ = std::exchange(other.fs_, nullptr);
  }
  return *this;
}

Filesystem::~Filesystem() {
  Status st = Close();
  if (!st.ok()) {
    LOG(ERROR) << "Cannot close filesystem: " << st.ToString();
  }
}

Status Filesystem::Close() {
  if (fs_ == nullptr) {
    return OkStatus();
  }
  ext2_filsys fs = std::exchange(fs_, nullptr);
  errcode_t code = ext2fs_close2(fs, 0);
  if (code != 0) {
    ext2fs_free(fs);
    return StatusFromErrcode(code, "cannot flush and close filesystem");
  }
  return OkStatus();
}

}  // namespace ext4fh
