#pragma once

// Answering a resent request as if it had run once (DESIGN section 4).
//
// The kernel resends the requests a dead server had read but not answered.
// Most are idempotent (LOOKUP, READ, WRITE at the kernel's offset,
// SETATTR...). The others (CREATE, MKNOD, MKDIR, SYMLINK, LINK, UNLINK,
// RMDIR, RENAME, SETXATTR, REMOVEXATTR) go through RunOnce. It first
// checks the request's precondition (the name it creates is absent, the
// name it removes is present...) without logging anything: a request that
// fails it changes nothing and fails the same way when resent. Otherwise it
// logs the request in the shared state twice: "in progress" before it
// touches the image, and its outcome once its change is on the image. A
// resent request then
//   - with an outcome logged: gets that outcome again;
//   - logged in progress: was cut short after its precondition held; it
//     runs again in "interrupted" mode, where the op finishes what the
//     first run started and judges by the postcondition (the name it
//     creates exists, the name it removes is gone). That is sound because
//     the precondition held when the first run began and the kernel holds
//     the parent directory's (or, for xattrs, the inode's) lock for the
//     whole request: only the first run can have changed the name;
//   - not logged at all: never started; it checks and runs as usual.
// A request whose change takes more than one step and cannot be judged by
// its postcondition alone (RENAME_EXCHANGE: the names it swaps look the
// same before and after) notes what it needs in its slot before its first
// step (NoteCurrent), and an interrupted run reads it back (CurrentNote).
//
// Lookup counts (node_table.h) are tied to the request the same way:
// CountOnce records in the request's slot that it counted its entries,
// so a resent request whose first run counted them (and died before the
// reply) does not count them again. A server killed between the count and
// that record leaves the count one too high, never too low.

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>

#include "fuse/node_table.h"
#include "fuse/shared_state.h"
#include "util/status.h"

namespace ext4fh {

struct Outcome {
  Status status;
  uint64_t nodeid = 0;  // the entry an entry-creating request returned
};

class RequestLog {
 public:
  explicit RequestLog(SharedState& state) : state_(state) {}

  struct Entry {
    bool done;       // false: logged in progress
    Outcome outcome;
  };

  // The slot that holds request `unique`, if any.
  std::optional<size_t> SlotOf(uint64_t unique) const;
  // What slot `slot` says. REQUIRES: it holds a request.
  Entry Read(size_t slot) const;
  // Logs request `unique` as in progress, in `reuse` or else a new slot;
  // returns the slot.
  size_t Begin(uint64_t unique, std::optional<size_t> reuse = std::nullopt);
  // Logs the outcome of request `unique` in `slot`.
  void Finish(size_t slot, uint64_t unique, const Outcome& outcome);
  // What a request notes before it changes the image, for a run after a
  // crash (a RENAME_EXCHANGE: image/types.h ExchangeNote). Never all 0.
  using Note = std::array<uint64_t, 3>;
  // The note request `unique` left in `slot`, if any. A Begin() that reuses
  // the slot keeps it.
  std::optional<Note> ReadNote(size_t slot, uint64_t unique) const;
  // Notes `note` for request `unique` in `slot`. REQUIRES: note[0] != 0.
  void WriteNote(size_t slot, uint64_t unique, const Note& note);
  // Whether request `unique` in `slot` counted entries with `digest`.
  bool Counted(size_t slot, uint64_t unique, uint32_t digest) const;
  // Records that request `unique` in `slot` counted entries with `digest`.
  void MarkCounted(size_t slot, uint64_t unique, uint32_t digest);

 private:
  SharedState& state_;
};

// Runs the current request's change once (see above). `precondition` is
// checked on a request that has no slot in the log; its failure is the
// outcome. `run` gets whether an earlier run was cut short. `log` may be
// null (no shared state).
Outcome RunOnce(RequestLog* log, const std::function<Status()>& precondition,
                const std::function<Outcome(bool interrupted)>& run);

// The note an earlier run of the current request left, if any; and noting
// one for the current request, in the slot RunOnce gave it. `log` may be
// null (no notes).
std::optional<RequestLog::Note> CurrentNote(RequestLog* log);
void NoteCurrent(RequestLog* log, const RequestLog::Note& note);

// Adds one lookup of each of `nodeids` (the entries the current request is
// about to hand the kernel) to `nodes`, unless a run of this request before
// a restart already counted the same nodeids. `log` may be null.
void CountOnce(RequestLog* log, NodeTable& nodes,
               std::span<const uint64_t> nodeids);

}  // namespace ext4fh
