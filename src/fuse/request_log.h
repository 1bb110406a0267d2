#pragma once

// Answering a resent request as if it had run once (DESIGN section 4).
//
// The kernel resends the requests a dead server had read but not answered.
// Most are idempotent (LOOKUP, READ, WRITE at the kernel's offset,
// SETATTR...). The others (CREATE, MKNOD, MKDIR, SYMLINK, LINK, UNLINK,
// RMDIR, RENAME, SETXATTR, REMOVEXATTR) go through RunOnce, which logs
// each one in the shared state twice: "in progress" before it touches the
// image, and its outcome once its change is on the image. A resent request
// then
//   - with an outcome logged: gets that outcome again;
//   - logged in progress: was cut short; it runs again in "interrupted"
//     mode, where the op finishes what the first run started and judges by
//     the postcondition (the name it creates exists, the name it removes is
//     gone). That is sound because the kernel holds the parent directory's
//     lock for the whole request: nothing else can have changed the name;
//   - not logged at all: never started; it simply runs.

#include <cstdint>
#include <functional>
#include <optional>

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

  // What is logged about request `unique`, if anything.
  std::optional<Entry> Find(uint64_t unique) const;
  // Logs request `unique` as in progress; returns its slot.
  size_t Begin(uint64_t unique);
  // Logs the outcome of the request in `slot`.
  void Finish(size_t slot, uint64_t unique, const Outcome& outcome);

 private:
  SharedState& state_;
};

// Runs the current request's change once (see above). `run` gets whether
// an earlier run was cut short. `log` may be null (no shared state).
Outcome RunOnce(RequestLog* log,
                const std::function<Outcome(bool interrupted)>& run);

}  // namespace ext4fh
