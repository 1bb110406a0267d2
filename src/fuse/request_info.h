#pragma once

// The raw header facts of the request the calling thread is serving, for
// op handlers that must know more than libfuse tells them (whether the
// kernel resent the request after a restart, and its unique id).

#include <cstddef>
#include <cstdint>
#include <optional>

namespace ext4fh {

struct RequestInfo {
  uint64_t unique = 0;  // with the resend bit cleared
  uint32_t opcode = 0;
  bool resent = false;  // the kernel queued it again after FUSE_NOTIFY_RESEND
  // Filled in while serving (request_log.h): the request's slot in the
  // request log, and whether RunOnce logged a change for it.
  std::optional<size_t> log_slot;
  bool ran_once = false;
};

// The request being served by this thread; a zero RequestInfo outside one.
const RequestInfo& CurrentRequest();
// The same, for the request log to fill in log_slot and ran_once.
RequestInfo& MutableCurrentRequest();

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
