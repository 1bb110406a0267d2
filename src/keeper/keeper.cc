#include "keeper/keeper.h"

#include <unistd.h>

#include <optional>

#include "fuse/mount.h"
#include "fuse/shared_state.h"
#include "image/clean_state.h"
#include "image/image.h"
#include "image/image_lock.h"
#include "keeper/daemon.h"
#include "keeper/hooks.h"
#include "keeper/image_guard.h"
#include "keeper/mountpoint.h"
#include "keeper/supervisor.h"
#include "util/log.h"

namespace ext4fh {
namespace {

// A one-line error for the user, and the exit code that goes with it.
int Fail(const Status& st, int code) {
  std::string line = "ext4fh: " + st.context() + "\n";
  (void)!write(STDERR_FILENO, line.data(), line.size());
  return code;
}

// Opens the image once to check it. Returns whether it will be served
// read-only.
Result<bool> ProbeImage(const ServerConfig& server) {
  ImageOptions options;
  options.open.path = server.image_path;
  options.open.offset = server.offset;
  options.open.read_write = server.read_write;
  options.write_required = server.write_required;
  return Image::Probe(options);
}

// Runs the fsck hooks when the image was not left clean. Returns their
// verdict (kContinue when none ran).
Result<HookVerdict> CheckBeforeMount(const KeeperConfig& config) {
  OpenOptions open;
  open.path = config.server.image_path;
  open.offset = config.server.offset;
  ASSIGN_OR_RETURN(CleanState state, ReadCleanState(open));
  std::vector<std::string> hooks = FindHooks(config);
  if (state == CleanState::kClean || hooks.empty()) {
    return HookVerdict::kContinue;
  }
  LOG(INFO) << config.server.image_path << " is " << CleanStateName(state)
            << "; running the fsck hooks";
  HookVerdict verdict = RunHooks(hooks, config, HookReason{});
  if (verdict == HookVerdict::kStop) {
    return Status::Error(EUCLEAN, config.server.image_path + ": image is " +
                                      CleanStateName(state) +
                                      " and an fsck hook stopped the mount");
  }
  return verdict;
}

// Keeps other writers out of the image (keeper/image_guard.h), when this
// keeper may: null otherwise.
std::unique_ptr<ImageGuard> GuardImage(const std::string& image_path) {
  if (geteuid() != 0) {
    return nullptr;  // fanotify permission events need root
  }
  Result<std::unique_ptr<ImageGuard>> guard = ImageGuard::Start(image_path);
  if (!guard.ok()) {
    LOG(WARNING) << guard.status().context()
                 << "; other programs can open it for writing";
    return nullptr;
  }
  return std::move(guard).value();
}

// Mounts, records INIT, and supervises. Runs in the background process.
// `force_read_only`: an fsck hook asked for read-only.
int MountAndServe(const KeeperConfig& config, bool read_only,
                  bool force_read_only,
                  const std::function<void(int)>& report) {
  Result<std::unique_ptr<SharedState>> state = SharedState::Create();
  if (!state.ok()) {
    report(kExitFailure);
    return Fail(state.status(), kExitFailure);
  }
  std::unique_ptr<ImageGuard> guard = GuardImage(config.server.image_path);
  MountRequest request{.mountpoint = config.mountpoint,
                       .fsname = config.server.image_path,
                       .offset = config.server.offset,
                       .read_only = read_only,
                       .allow_other = config.allow_other,
                       .default_permissions = config.default_permissions,
                       .flags = config.mount_flags};
  // The reason goes to stderr before the foreground process exits.
  Status may_mount = CheckUserMayMount(config.mountpoint);
  if (!may_mount.ok()) {
    report(Fail(may_mount, kExitMountpoint));
    return kExitMountpoint;
  }
  Result<ScopedFd> fuse_fd = MountFuse(request);
  if (!fuse_fd.ok()) {
    report(Fail(fuse_fd.status(), kExitFailure));
    return kExitFailure;
  }
  Result<std::string> init = ReadInitRequest(fuse_fd->get());
  if (!init.ok()) {
    fuse_fd->reset();  // with no server, a fuseblk unmount would wait
    (void)UnmountFuse(config.mountpoint, /*lazy=*/true);
    report(kExitFailure);
    return Fail(init.status(), kExitFailure);
  }
  (*state)->SetInitRequest(*init);
  LOG(INFO) << "Mounted " << config.server.image_path << " on "
            << config.mountpoint << (read_only ? " read-only" : "");
  Supervisor supervisor(config, *fuse_fd, **state, force_read_only);
  return supervisor.Run(report);
}

}  // namespace

int RunKeeper(KeeperConfig config) {
  Status st = CheckMountpoint(config.mountpoint);
  if (!st.ok()) {
    return Fail(st, kExitMountpoint);
  }
  Result<ImageLock> lock =
      ImageLock::Acquire(config.server.image_path, config.server.offset,
                         config.server.read_write);
  if (!lock.ok()) {
    return Fail(lock.status(), kExitImage);
  }
  Result<HookVerdict> verdict = CheckBeforeMount(config);
  if (!verdict.ok()) {
    return Fail(verdict.status(), kExitImage);
  }
  bool force_read_only = *verdict == HookVerdict::kReadOnly;
  if (force_read_only) {
    config.server.read_write = config.server.write_required = false;
  }
  Result<bool> read_only = ProbeImage(config.server);
  if (!read_only.ok()) {
    return Fail(read_only.status(), kExitImage);
  }
  std::optional<Daemon> daemon;
  if (!config.foreground) {
    Result<Daemon> started = Daemon::Start();
    if (!started.ok()) {
      return Fail(started.status(), kExitFailure);
    }
    daemon.emplace(std::move(started).value());
  }
  auto report = [&](int code) {
    if (daemon) {
      daemon->Report(code);
      if (code == kExitOk) {
        SetLogSink(/*use_syslog=*/true);
      }
    }
  };
  return MountAndServe(config, *read_only, force_read_only, report);
}

}  // namespace ext4fh
