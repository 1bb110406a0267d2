#include "fuse/request_log.h"

#include "fuse/request_info.h"

#include <atomic>

namespace ext4fh {

namespace {
constexpr int32_t kInProgress = -1;
}  // namespace

std::optional<RequestLog::Entry> RequestLog::Find(uint64_t unique) const {
  LoggedRequest* log = state_.request_log();
  for (size_t i = 0; i < kRequestLogSize; ++i) {
    if (log[i].unique.load(std::memory_order_acquire) != unique) {
      continue;
    }
    Entry e;
    e.done = log[i].err != kInProgress;
    e.outcome.status = log[i].err > 0 ? Status::Error(log[i].err, "logged outcome")
                                      : OkStatus();
    e.outcome.nodeid = log[i].nodeid;
    return e;
  }
  return std::nullopt;
}

size_t RequestLog::Begin(uint64_t unique) {
  size_t index = state_.request_log_next().fetch_add(1) % kRequestLogSize;
  LoggedRequest& slot = state_.request_log()[index];
  slot.unique.store(0, std::memory_order_relaxed);
  slot.err = kInProgress;
  slot.nodeid = 0;
  slot.unique.store(unique, std::memory_order_release);
  return index;
}

void RequestLog::Finish(size_t index, uint64_t unique, const Outcome& outcome) {
  LoggedRequest& slot = state_.request_log()[index];
  if (slot.unique.load(std::memory_order_acquire) != unique) {
    return;  // the ring wrapped around meanwhile
  }
  slot.nodeid = outcome.nodeid;
  std::atomic_ref<int32_t>(slot.err).store(outcome.status.err(),
                                           std::memory_order_release);
}

Outcome RunOnce(RequestLog* log,
                const std::function<Outcome(bool interrupted)>& run) {
  const RequestInfo& request = CurrentRequest();
  if (log == nullptr || request.unique == 0) {
    return run(false);
  }
  bool interrupted = false;
  if (request.resent) {
    if (std::optional<RequestLog::Entry> logged = log->Find(request.unique)) {
      if (logged->done) {
        return logged->outcome;
      }
      interrupted = true;
    }
  }
  size_t slot = log->Begin(request.unique);
  Outcome outcome = run(interrupted);
  log->Finish(slot, request.unique, outcome);
  return outcome;
}

}  // namespace ext4fh
