#pragma once

// The fsck hooks (fsck-hooks/README.md holds the contract): executables the
// keeper runs one at a time, in name order, before a first mount of an
// image that is not clean and between a server crash and its restart. Each
// hook's exit status is a verdict; the most severe one wins, and a "stop"
// ends the run.
//
// Hooks run on a thread of their own (HookJob), so the keeper keeps
// answering `ext4fh ctl` while e2fsck works.

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "keeper/config.h"
#include "util/scoped_fd.h"
#include "util/status.h"

namespace ext4fh {

// Ordered by severity.
enum class HookVerdict { kContinue = 0, kReadOnly = 1, kStop = 2 };

// "continue", "read-only", "stop".
const char* HookVerdictName(HookVerdict verdict);

// The directory of the shipped hooks: `fsck-hooks` next to the binary (a
// build tree), else `../lib/ext4fh/fsck-hooks` from it (an installation).
// Empty if neither exists.
std::string ShippedHooksDir();

// The hooks to run for `config`: none with `-o nofsck`; else the
// executables of the shipped directory, then those of `-o fsck_hooks=DIR`,
// each directory in name order. Files that are not executable are skipped.
std::vector<std::string> FindHooks(const KeeperConfig& config);

// Why the hooks run, for their environment.
struct HookReason {
  bool crash = false;                // false: before a first mount
  std::optional<int> server_status;  // wait status of the dead server
};

// Runs `hooks` with the environment the contract promises and returns the
// verdict. What they print goes to the log. A hook that cannot be started
// or is killed counts as "stop".
HookVerdict RunHooks(const std::vector<std::string>& hooks,
                     const KeeperConfig& config, const HookReason& reason);

// RunHooks on a thread, after `prepare` (if any) on the same thread.
// done_fd() becomes readable when the hooks have finished; then Wait()
// returns the verdict at once.
class HookJob {
 public:
  static Result<std::unique_ptr<HookJob>> Start(
      std::vector<std::string> hooks, const KeeperConfig& config,
      HookReason reason, std::function<void()> prepare = nullptr);
  ~HookJob();

  int done_fd() const { return done_.get(); }
  // Waits for the hooks to finish and returns their verdict.
  HookVerdict Wait();

 private:
  HookJob() = default;

  ScopedFd done_;  // an eventfd
  HookVerdict verdict_ = HookVerdict::kStop;
  std::thread thread_;
};

}  // namespace ext4fh
