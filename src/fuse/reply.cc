#include "fuse/reply.h"

#include <new>

#include <cstring>

#include "fuse/request_info.h"
#include "util/fault.h"
#include "util/log.h"

namespace ext4fh {
namespace {

bool Expected(int err) {
  switch (err) {
    case ENOENT:
    case EEXIST:
    case ENOTDIR:
    case EISDIR:
    case ENOTEMPTY:
    case EACCES:
    case EPERM:
    case ENODATA:
    case ERANGE:
    case ENAMETOOLONG:
    case ESTALE:
    case EROFS:
    case EINVAL:
    case ENOSPC:
    case EDQUOT:
    case EFBIG:
    case EMLINK:
    case ENOSYS:
    case EOPNOTSUPP:
    case ENOTTY:
    case EXDEV:
    case EBUSY:
    case EAGAIN:
    case EINTR:
    case E2BIG:
    case ENXIO:
      return true;
    default:
      return false;
  }
}

}  // namespace

Reply::~Reply() {
  if (!done_) {
    LOG(ERROR) << "BUG: request " << fuse_req_ctx(req_)->pid
               << " left unanswered; answering EIO";
    Errno(EIO);
  }
}

bool Reply::Claim() {
  if (done_) {
    LOG(ERROR) << "BUG: second reply to one request dropped";
    return false;
  }
  done_ = true;
  // A request whose change RunOnce logged: its outcome is on the image and
  // in the log, its entries counted, and the kernel has no answer yet.
  if (CurrentRequest().ran_once) {
    CrashPoint("before-logged-reply");
  }
  return true;
}

// A failed send (the kernel returns ENOENT for an interrupted request) is
// not an error of ours.
void Reply::Check(int rc) {
  if (rc != 0 && rc != -ENOENT) {
    LOG(DEBUG) << "Cannot send reply: " << std::strerror(-rc);
  }
}

void Reply::Error(const Status& status) {
  if (Expected(status.err())) {
    LOG(DEBUG) << status.ToString();
  } else {
    LOG(ERROR) << status.ToString();
  }
  Errno(status.err());
}

void Reply::Errno(int err) {
  if (Claim()) {
    Check(fuse_reply_err(req_, err));
  }
}

void Reply::Ok() {
  Errno(0);
}

void Reply::None() {
  if (Claim()) {
    fuse_reply_none(req_);
  }
}

void Reply::Entry(const fuse_entry_param& entry) {
  if (Claim()) {
    Check(fuse_reply_entry(req_, &entry));
  }
}

void Reply::Create(const fuse_entry_param& entry, const fuse_file_info& fi) {
  if (Claim()) {
    Check(fuse_reply_create(req_, &entry, &fi));
  }
}

void Reply::Attr(const struct stat& st, double timeout) {
  if (Claim()) {
    Check(fuse_reply_attr(req_, &st, timeout));
  }
}

void Reply::Readlink(const std::string& target) {
  if (Claim()) {
    Check(fuse_reply_readlink(req_, target.c_str()));
  }
}

void Reply::Open(const fuse_file_info& fi) {
  if (Claim()) {
    Check(fuse_reply_open(req_, &fi));
  }
}

void Reply::Write(size_t count) {
  if (Claim()) {
    Check(fuse_reply_write(req_, count));
  }
}

void Reply::Buf(std::span<const char> data) {
  if (Claim()) {
    Check(fuse_reply_buf(req_, data.data(), data.size()));
  }
}

void Reply::StatFs(const struct statvfs& st) {
  if (Claim()) {
    Check(fuse_reply_statfs(req_, &st));
  }
}

void Reply::XattrSize(size_t size) {
  if (Claim()) {
    Check(fuse_reply_xattr(req_, size));
  }
}

void Reply::Lseek(off_t offset) {
  if (Claim()) {
    Check(fuse_reply_lseek(req_, offset));
  }
}

void Reply::Ioctl(int result, std::span<const char> out) {
  if (Claim()) {
    Check(fuse_reply_ioctl(req_, result, out.data(), out.size()));
  }
}

void Reply::Bmap(uint64_t block) {
  if (Claim()) {
    Check(fuse_reply_bmap(req_, block));
  }
}

void AnswerException(Reply& reply, const char* op) {
  try {
    throw;
  } catch (const std::bad_alloc&) {
    LOG(ERROR) << "Cannot serve " << op << ": out of memory";
    if (!reply.done()) {
      reply.Errno(ENOMEM);
    }
  } catch (const std::exception& e) {
    LOG(ERROR) << "Cannot serve " << op << ": " << e.what();
    if (!reply.done()) {
      reply.Errno(EIO);
    }
  } catch (...) {
    LOG(ERROR) << "Cannot serve " << op << ": unknown exception";
    if (!reply.done()) {
      reply.Errno(EIO);
    }
  }
}

}  // namespace ext4fh
