#pragma once

// A libfuse session over a /dev/fuse connection that the keeper holds.
//
// The session never mounts: it is built over a dup of the kept fd with
// fuse_session_custom_io(), so it can be torn down and rebuilt while the
// mount stays up. libfuse answers everything with EIO until it has seen
// INIT, so Init() feeds it the INIT request the keeper recorded:
//   - fresh (no server has answered INIT yet): with the kernel's unique, so
//     the reply goes to the kernel; the reply is recorded;
//   - resume: with a synthetic unique; the reply is dropped, and must equal
//     the recorded one byte for byte after the header.
// Run() reads requests itself (not fuse_session_loop) so it can note each
// request's raw header (request_info.h) and stop between requests.

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "fuse/server.h"
#include "fuse/shared_state.h"
#include "util/scoped_fd.h"
#include "util/status.h"

namespace ext4fh {

enum class StartMode { kFresh, kResume };

class Session {
 public:
  // A session serving `server` over a dup of `fuse_fd`.
  static Result<std::unique_ptr<Session>> Create(Server& server, int fuse_fd,
                                                 bool debug);
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;
  ~Session();

  // Primes libfuse with the recorded INIT (see above).
  Status Init(SharedState& state, StartMode mode);

  // FUSE_NOTIFY_RESEND: the kernel queues again every request a previous
  // server read but never answered. Call before Run().
  Status Resend();
  // FUSE_NOTIFY_INC_EPOCH: every cached dentry is looked up again lazily.
  Status IncrementEpoch();
  // FUSE_NOTIFY_INVAL_INODE for the attributes only. It takes no page lock
  // in the kernel, so it is safe before Run() and inside a request.
  Status InvalidateAttributes(uint64_t nodeid);
  // FUSE_NOTIFY_INVAL_INODE for the cached pages too. The kernel locks each
  // page, and a page stays locked while a READ for it waits for an answer
  // (a resent one included): call this only while Run() serves, never
  // from a request.
  Status InvalidatePages(uint64_t nodeid);

  // Serves on `threads` threads until the filesystem is unmounted (OK) or
  // Stop() is called (OK), or reading fails.
  Status Run(int threads);
  // Makes Run() return once each thread has finished its current request.
  // Safe to call from a signal-handling thread.
  void Stop();
  // Whether Run() ended because the filesystem was unmounted.
  bool unmounted() const { return unmounted_.load(); }
  // Counts requests that arrive marked as resent into `counter` (the
  // shared state's inflight_resent).
  void set_resent_counter(std::atomic<uint64_t>* counter) {
    resent_counter_ = counter;
  }

 private:
  Session(Server& server, fuse_session* se, int fd)
      : server_(server), se_(se), fd_(fd) {}
  void Worker(size_t buffer_size, Status* result);
  Status WriteNotification(int32_t code);

  Server& server_;
  fuse_session* se_;
  int fd_;  // owned by se_
  size_t buffer_size_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> unmounted_{false};
  std::atomic<uint64_t>* resent_counter_ = nullptr;
  std::vector<pthread_t> threads_;
  std::mutex threads_mu_;
};

}  // namespace ext4fh
