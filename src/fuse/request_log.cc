#include "fuse/request_log.h"

#include <atomic>

#include "fuse/request_info.h"
#include "util/fault.h"
#include "util/mix.h"

namespace ext4fh {

namespace {
constexpr int32_t kInProgress = -1;

// Never 0, which means "nothing counted".
uint32_t Digest(std::span<const uint64_t> nodeids) {
  uint64_t d = nodeids.size();
  for (uint64_t id : nodeids) {
    d = Mix64(d ^ id);
  }
  return static_cast<uint32_t>(d) | 1;
}

void AddAll(NodeTable& nodes, std::span<const uint64_t> nodeids) {
  for (uint64_t id : nodeids) {
    nodes.Add(id, 1);
  }
}

}  // namespace

std::optional<size_t> RequestLog::SlotOf(uint64_t unique) const {
  LoggedRequest* log = state_.request_log();
  for (size_t i = 0; i < kRequestLogSize; ++i) {
    if (log[i].unique.load(std::memory_order_acquire) == unique) {
      return i;
    }
  }
  return std::nullopt;
}

RequestLog::Entry RequestLog::Read(size_t index) const {
  const LoggedRequest& slot = state_.request_log()[index];
  int32_t err = std::atomic_ref<const int32_t>(slot.err).load(
      std::memory_order_acquire);
  Entry e;
  e.done = err != kInProgress;
  e.outcome.status =
      err > 0 ? Status::Error(err, "logged outcome") : OkStatus();
  e.outcome.nodeid = slot.nodeid;
  return e;
}

size_t RequestLog::Begin(uint64_t unique, std::optional<size_t> reuse) {
  size_t index = reuse ? *reuse
                       : state_.request_log_next().fetch_add(1) %
                             kRequestLogSize;
  LoggedRequest& slot = state_.request_log()[index];
  slot.unique.store(0, std::memory_order_relaxed);
  slot.err = kInProgress;
  slot.counted.store(0, std::memory_order_relaxed);
  slot.nodeid = 0;
  if (!reuse) {
    slot.note[0].store(0, std::memory_order_relaxed);
  }
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

std::optional<RequestLog::Note> RequestLog::ReadNote(size_t index,
                                                     uint64_t unique) const {
  const LoggedRequest& slot = state_.request_log()[index];
  Note note{slot.note[0].load(std::memory_order_acquire),
            slot.note[1].load(std::memory_order_relaxed),
            slot.note[2].load(std::memory_order_relaxed)};
  if (note[0] == 0 ||
      slot.unique.load(std::memory_order_acquire) != unique) {
    return std::nullopt;
  }
  return note;
}

void RequestLog::WriteNote(size_t index, uint64_t unique, const Note& note) {
  LoggedRequest& slot = state_.request_log()[index];
  if (slot.unique.load(std::memory_order_acquire) != unique) {
    return;  // the ring wrapped around meanwhile
  }
  slot.note[1].store(note[1], std::memory_order_relaxed);
  slot.note[2].store(note[2], std::memory_order_relaxed);
  slot.note[0].store(note[0], std::memory_order_release);
}

bool RequestLog::Counted(size_t index, uint64_t unique, uint32_t digest) const {
  const LoggedRequest& slot = state_.request_log()[index];
  return slot.unique.load(std::memory_order_acquire) == unique &&
         slot.counted.load(std::memory_order_acquire) == digest;
}

void RequestLog::MarkCounted(size_t index, uint64_t unique, uint32_t digest) {
  LoggedRequest& slot = state_.request_log()[index];
  if (slot.unique.load(std::memory_order_acquire) == unique) {
    slot.counted.store(digest, std::memory_order_release);
  }
}

Outcome RunOnce(RequestLog* log, const std::function<Status()>& precondition,
                const std::function<Outcome(bool interrupted)>& run) {
  RequestInfo& request = MutableCurrentRequest();
  if (log == nullptr || request.unique == 0) {
    return run(false);
  }
  std::optional<size_t> slot;
  if (request.resent) {
    slot = log->SlotOf(request.unique);
  }
  if (slot && log->Read(*slot).done) {
    request.log_slot = slot;
    return log->Read(*slot).outcome;
  }
  bool interrupted = slot.has_value();
  if (!interrupted) {
    Status st = precondition();
    if (!st.ok()) {
      return Outcome{st, 0};
    }
  }
  request.log_slot = log->Begin(request.unique, slot);
  request.ran_once = true;
  CrashPoint("before-logged-change");
  Outcome outcome = run(interrupted);
  log->Finish(*request.log_slot, request.unique, outcome);
  return outcome;
}

std::optional<RequestLog::Note> CurrentNote(RequestLog* log) {
  const RequestInfo& request = MutableCurrentRequest();
  if (log == nullptr || !request.log_slot) {
    return std::nullopt;
  }
  return log->ReadNote(*request.log_slot, request.unique);
}

void NoteCurrent(RequestLog* log, const RequestLog::Note& note) {
  const RequestInfo& request = MutableCurrentRequest();
  if (log != nullptr && request.log_slot) {
    log->WriteNote(*request.log_slot, request.unique, note);
  }
}

void CountOnce(RequestLog* log, NodeTable& nodes,
               std::span<const uint64_t> nodeids) {
  RequestInfo& request = MutableCurrentRequest();
  if (log == nullptr || request.unique == 0 || nodeids.empty()) {
    return AddAll(nodes, nodeids);
  }
  uint32_t digest = Digest(nodeids);
  if (!request.log_slot && request.resent) {
    request.log_slot = log->SlotOf(request.unique);
  }
  if (request.log_slot && request.resent &&
      log->Counted(*request.log_slot, request.unique, digest)) {
    return;  // the first run counted them and died before its reply
  }
  if (!request.log_slot) {
    request.log_slot = log->Begin(request.unique);
  }
  AddAll(nodes, nodeids);
  log->MarkCounted(*request.log_slot, request.unique, digest);
}

}  // namespace ext4fh
