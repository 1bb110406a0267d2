#pragma once

// Exactly one reply per request.
//
// Op adapters create a Reply for their fuse_req_t and answer through it.
// A Reply destroyed without answering sends EIO and logs a bug, so a code
// path that forgets to answer cannot hang the calling process.

#define FUSE_USE_VERSION 35
#include <fuse_lowlevel.h>

#include <span>
#include <string_view>

#include "util/status.h"

namespace ext4fh {

class Reply {
 public:
  explicit Reply(fuse_req_t req) : req_(req) {}
  Reply(const Reply&) = delete;
  Reply& operator=(const Reply&) = delete;
  ~Reply();

  fuse_req_t req() const { return req_; }
  bool done() const { return done_; }

  // Answers with the error of failed `status`, logging it at a level that
  // fits (expected errnos at DEBUG, server and image faults at ERROR).
  void Error(const Status& status);
  void Errno(int err);
  void Ok();  // success without data
  void None();  // for FORGET: no answer goes to the kernel
  void Entry(const fuse_entry_param& entry);
  void Create(const fuse_entry_param& entry, const fuse_file_info& fi);
  void Attr(const struct stat& st, double timeout);
  void Readlink(const std::string& target);
  void Open(const fuse_file_info& fi);
  void Write(size_t count);
  void Buf(std::span<const char> data);
  void StatFs(const struct statvfs& st);
  void XattrSize(size_t size);
  void Lseek(off_t offset);
  void Ioctl(int result, std::span<const char> out);
  void Bmap(uint64_t block);

 private:
  // Marks the reply sent; logs a bug for a second reply.
  bool Claim();
  void Check(int rc);

  fuse_req_t req_;
  bool done_ = false;
};

// Runs `body(reply)` with exception safety: nothing crosses into libfuse's
// C frames. bad_alloc answers ENOMEM, anything else EIO (logged).
template <typename Body>
void Guarded(fuse_req_t req, const char* op, Body&& body);

// Implementation detail of Guarded.
void AnswerException(Reply& reply, const char* op);

template <typename Body>
void Guarded(fuse_req_t req, const char* op, Body&& body) {
  Reply reply(req);
  try {
    body(reply);
  } catch (...) {
    AnswerException(reply, op);
  }
}

}  // namespace ext4fh
