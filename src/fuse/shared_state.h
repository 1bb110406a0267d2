#pragma once

// State that must outlive the server (DESIGN section 4), in a memfd the
// keeper creates and keeps open, and every server maps:
//   - the INIT record: the raw FUSE_INIT request as the kernel sent it, and
//     the reply the first server gave, so a later server can prime libfuse
//     with the same request and check it negotiates the same result;
//   - counters that `ext4fh ctl status` reports;
//   - the node table (node_table.h).
// The header is plain data plus lock-free atomics, so both processes can
// use it at once.

#include <atomic>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "fuse/node_table.h"
#include "util/scoped_fd.h"
#include "util/status.h"

namespace ext4fh {

struct StateCounters {
  std::atomic<uint64_t> restarts;
  std::atomic<uint64_t> stale_inodes_marked;
  std::atomic<uint64_t> inflight_resent;
  std::atomic<int64_t> server_pid;
  std::atomic<int64_t> ready_pid;  // the server that finished starting up
  std::atomic<int64_t> last_exit;  // wait status of the last server exit; -1: none
  std::atomic<uint64_t> cached_inodes;  // nodeids the kernel holds now
};

// One request's slot in the request log (request_log.h): the outcome of a
// non-idempotent request, and the entries it handed the kernel.
struct LoggedRequest {
  std::atomic<uint64_t> unique;  // 0: empty; written last
  int32_t err;
  std::atomic<uint32_t> counted;  // 0: no entries counted; else their digest
  uint64_t nodeid;
  // What the request noted before it changed the image (RequestLog::Note);
  // note[0] == 0: nothing. note[0] is written last.
  std::atomic<uint64_t> note[3];
};
inline constexpr size_t kRequestLogSize = 1024;

class SharedState {
 public:
  static constexpr size_t kMaxInitSize = 1024;

  // A new, empty state in a fresh memfd (keeper side).
  static Result<std::unique_ptr<SharedState>> Create();
  // Maps the state in memfd `fd`, which the caller keeps open (server side).
  static Result<std::unique_ptr<SharedState>> Attach(int fd);

  SharedState(const SharedState&) = delete;
  SharedState& operator=(const SharedState&) = delete;
  ~SharedState();

  int fd() const { return fd_; }

  // Records the raw FUSE_INIT request. REQUIRES: size <= kMaxInitSize.
  void SetInitRequest(std::span<const char> request);
  std::span<const char> init_request() const;
  // Records the first server's reply to it and the capabilities it wanted.
  void SetInitReply(std::span<const char> reply, uint64_t want);
  bool has_init_reply() const;
  std::span<const char> init_reply() const;
  uint64_t init_want() const;

  StateCounters& counters();
  // The ring of recent non-idempotent outcomes, and its next index.
  LoggedRequest* request_log();
  std::atomic<uint64_t>& request_log_next();

  // The node table; maps it on first use.
  Result<NodeTable*> nodes();
  // A mapping of the node table of its own, for a reader that may look at it
  // long after another process grew it (the keeper, between servers).
  Result<std::unique_ptr<NodeTable>> MapNodes();

  struct Header;  // the memfd's layout (shared_state.cc)

 private:
  SharedState(ScopedFd owned, int fd, Header* header);

  ScopedFd owned_fd_;  // set when this object created the memfd
  int fd_;
  Header* header_;
  std::unique_ptr<NodeTable> nodes_;
};

}  // namespace ext4fh
