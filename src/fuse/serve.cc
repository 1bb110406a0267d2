#include "fuse/serve.h"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <memory>
#include <thread>
#include <vector>

#include "fuse/node_claim.h"
#include "fuse/session.h"
#include "fuse/shared_state.h"
#include "util/log.h"

namespace ext4fh {
namespace {

Result<std::unique_ptr<Image>> OpenImage(const ServerConfig& config,
                                         bool resuming) {
  ImageOptions options;
  options.open.path = config.image_path;
  options.open.offset = config.offset;
  options.open.read_write = config.read_write;
  options.open.mmp_takeover = resuming;
  options.resuming = resuming;
  options.write_required = config.write_required;
  options.errors = config.errors;
  return Image::Open(options);
}

// Checks every inode the kernel holds against the image, and returns the
// stale ones. Every inode loses its cached attributes, since a repair may
// have changed them (with AUTO_INVAL_DATA a changed size or mtime then
// drops its pages too); a stale one's next GETATTR marks it bad. Its pages
// are dropped later, by DropStalePages: here no request is being answered
// yet, and a page under a resent READ stays locked until one is.
Result<std::vector<uint64_t>> Revalidate(Server& server, Session& session,
                                         SharedState& state) {
  std::vector<uint64_t> nodeids;
  server.nodes().ForEach([&](uint64_t id, uint64_t) { nodeids.push_back(id); });
  std::vector<uint64_t> stale;
  for (uint64_t nodeid : nodeids) {
    Result<NodeClaim> claim = ClaimFor(nodeid);
    if (!claim.ok() || server.image().GetAttr(*claim).err() == ESTALE) {
      server.MarkStale(nodeid);
      stale.push_back(nodeid);
    }
    RETURN_IF_ERROR(session.InvalidateAttributes(nodeid));
  }
  state.counters().stale_inodes_marked.fetch_add(stale.size());
  LOG(INFO) << "Revalidated " << nodeids.size() << " cached inodes, "
            << stale.size() << " stale";
  return stale;
}

// Drops the cached pages of the stale inodes, while the session serves.
std::thread DropStalePages(Session& session, std::vector<uint64_t> stale) {
  return std::thread([&session, stale = std::move(stale)] {
    for (uint64_t nodeid : stale) {
      Status st = session.InvalidatePages(nodeid);
      if (!st.ok()) {
        LOG(WARNING) << "Cannot drop the pages of stale inode " << nodeid
                     << ": " << st.ToString();
      }
    }
  });
}

// Frees the orphans the kernel no longer holds: all of them on a fresh
// mount (as the kernel's orphan cleanup does), the unknown ones after a
// restart. First, the open unlinked files the keeper sheltered from fsck
// become orphans again (image/orphan_shelter.cc).
Status ReleaseOrphans(Server& server) {
  ASSIGN_OR_RETURN(int unsheltered, server.image().UnshelterOrphans());
  if (unsheltered > 0) {
    LOG(INFO) << "Took back " << unsheltered << " open unlinked files";
  }
  return server.image().ReleaseOrphans([&](uint32_t ino, uint32_t gen) {
    return server.nodes().Count(EncodeNodeId(NodeId{ino, gen})) > 0;
  });
}

// Resumes the connection (DESIGN section 4); returns the stale inodes.
Result<std::vector<uint64_t>> Resume(Server& server, Session& session,
                                     SharedState& state) {
  server.set_resume_want(state.init_want());
  RETURN_IF_ERROR(session.Init(state, StartMode::kResume));
  RETURN_IF_ERROR(session.Resend());
  ASSIGN_OR_RETURN(std::vector<uint64_t> stale,
                   Revalidate(server, session, state));
  RETURN_IF_ERROR(ReleaseOrphans(server));
  RETURN_IF_ERROR(session.IncrementEpoch());
  return stale;
}

Result<std::vector<uint64_t>> Start(Server& server, Session& session,
                                    SharedState& state) {
  RETURN_IF_ERROR(session.Init(state, StartMode::kFresh));
  RETURN_IF_ERROR(ReleaseOrphans(server));
  return std::vector<uint64_t>{};
}

// Stops the session on SIGTERM/SIGINT. The signals are blocked in every
// thread, and this one waits for them.
std::thread StartSignalThread(Session& session, sigset_t signals) {
  return std::thread([&session, signals] {
    int sig = 0;
    sigwait(&signals, &sig);
    if (sig != SIGUSR2) {
      LOG(INFO) << "Stopping on signal " << sig;
    }
    session.Stop();
  });
}

int Serve(Server& server, Session& session, std::vector<uint64_t> stale) {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGUSR2);  // sent to ourselves to end the waiter
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::thread waiter = StartSignalThread(session, signals);
  std::thread dropper = DropStalePages(session, std::move(stale));
  Status st = session.Run(server.config().threads);
  pthread_kill(waiter.native_handle(), SIGUSR2);
  waiter.join();
  dropper.join();
  if (!st.ok()) {
    LOG(ERROR) << "Cannot serve: " << st.ToString();
    return kServerFailed;
  }
  return kServerDone;
}

}  // namespace

int RunServer(const ServerConfig& config, int fuse_fd, int state_fd) {
  Result<std::unique_ptr<SharedState>> state = SharedState::Attach(state_fd);
  if (!state.ok()) {
    LOG(ERROR) << "Cannot attach state: " << state.status().ToString();
    return kServerFailed;
  }
  Result<std::unique_ptr<Image>> image =
      OpenImage(config, (*state)->has_init_reply());
  if (!image.ok()) {
    LOG(ERROR) << "Cannot open image: " << image.status().ToString();
    return kServerRefused;
  }
  Result<NodeTable*> nodes = (*state)->nodes();
  if (!nodes.ok()) {
    LOG(ERROR) << "Cannot map node table: " << nodes.status().ToString();
    return kServerFailed;
  }
  Server server(config, **image, **nodes);
  RequestLog log(**state);
  server.set_log(&log);
  server.set_cached_inodes_counter(&(*state)->counters().cached_inodes);
  server.PublishCachedInodes();
  Result<std::unique_ptr<Session>> session =
      Session::Create(server, fuse_fd, config.debug);
  if (!session.ok()) {
    LOG(ERROR) << session.status().ToString();
    return kServerFailed;
  }
  (*image)->set_atime_policy(config.atime);
  Result<std::vector<uint64_t>> stale =
      (*state)->has_init_reply() ? Resume(server, **session, **state)
                                 : Start(server, **session, **state);
  if (!stale.ok()) {
    LOG(ERROR) << "Cannot start session: " << stale.status().ToString();
    return kServerFailed;
  }
  (*session)->set_resent_counter(&(*state)->counters().inflight_resent);
  (*state)->counters().ready_pid.store(getpid());
  int exit_code = Serve(server, **session, std::move(stale).value());
  if ((*image)->panicked()) {
    exit_code = kServerPanicked;
  }
  Status st = (*image)->Close(/*clean_unmount=*/(*session)->unmounted());
  if (!st.ok()) {
    LOG(ERROR) << "Cannot flush image: " << st.ToString();
    return kServerFailed;
  }
  return exit_code;
}

}  // namespace ext4fh
