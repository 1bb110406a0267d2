#pragma once

// The raw header facts of the request the calling thread is serving, for
// op handlers that must know more than libfuse tells them (whether the
// kernel resent the request after a restart, and its unique id).

#include <cstdint>

namespace ext4fh {

struct RequestInfo {
  uint64_t unique = 0;  // with the resend bit cleared
  uint32_t opcode = 0;
  bool resent = false;  // the kernel queued it again after FUSE_NOTIFY_RESEND
};

// The request being served by this thread; a zero RequestInfo outside one.
const RequestInfo& CurrentRequest();

// Sets CurrentRequest() for the lifetime of the scope.
class ScopedRequest {
 public:
  explicit ScopedRequest(const RequestInfo& info);
  ~ScopedRequest();
  ScopedRequest(const ScopedRequest&) = delete;
  ScopedRequest& operator=(const ScopedRequest&) = delete;

 private:
  RequestInfo saved_;
};

}  // namespace ext4fh
