#pragma once

// The state every op handler reaches through fuse_req_userdata(): the
// configuration, the image and the node table. No op handler keeps state of
// its own (STYLE section 6).

#define FUSE_USE_VERSION 35
#include <fuse_lowlevel.h>
#include <sys/stat.h>

#include <atomic>
#include <cstdint>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_set>

#include "fuse/node_table.h"
#include "fuse/request_log.h"
#include "image/access.h"
#include "image/image.h"
#include "image/types.h"
#include "util/status.h"

namespace ext4fh {

struct ServerConfig {
  std::string image_path;
  uint64_t offset = 0;
  bool read_write = false;          // rw requested (the default)
  bool write_required = false;      // rw given explicitly
  bool default_permissions = false; // the kernel checks permissions
  bool allow_other = false;
  double attr_timeout = 1.0;
  double entry_timeout = 1.0;
  // errors=; unset: the superblock's s_errors decides (image.h).
  std::optional<ErrorsPolicy> errors;
  AtimePolicy atime = AtimePolicy::kRelatime;
  bool debug = false;
  int threads = 2;
};

class Server {
 public:
  Server(const ServerConfig& config, Image& image, NodeTable& nodes)
      : config_(config), image_(image), nodes_(nodes) {}

  // Chooses the connection's capabilities in the INIT callback. A resumed
  // server asks for exactly `resume_want`, what the first server got.
  void Negotiate(fuse_conn_info* conn);
  void set_resume_want(uint64_t want) { resume_want_ = want; }
  // What Negotiate() asked for (FUSE_CAP_* bits).
  uint64_t negotiated_want() const { return negotiated_want_; }

  // Records that revalidation after a restart found `nodeid` stale: its
  // next GETATTR answers an invalid attribute so the kernel marks the inode
  // bad (DESIGN section 4).
  void MarkStale(uint64_t nodeid);
  bool IsMarkedStale(uint64_t nodeid) const;

  const ServerConfig& config() const { return config_; }
  Image& image() { return image_; }
  NodeTable& nodes() { return nodes_; }

  // The kernel entry for an inode, uncounted.
  fuse_entry_param EntryFor(const Attr& attr) const;
  // Counts one lookup of each of `nodeids` in the node table, once per
  // request even when it is resent (request_log.h CountOnce): call it only
  // right before the reply that hands the entries to the kernel.
  void CountEntries(std::span<const uint64_t> nodeids);
  // EntryFor(attr), counted as by CountEntries.
  fuse_entry_param CountedEntry(const Attr& attr);
  // A negative entry (ino 0), cached by the kernel for entry_timeout.
  fuse_entry_param NegativeEntry() const;
  // Publishes nodes().size() (see set_cached_inodes_counter).
  void PublishCachedInodes();
  struct stat StatFor(const Attr& attr) const;

  // The caller's credentials; supplementary groups only if `with_groups`
  // (reading them costs a /proc lookup).
  Credentials CredentialsOf(fuse_req_t req, bool with_groups) const;
  // Checks `mask` access for the caller when the kernel does not (mounts
  // without default_permissions). OK otherwise.
  Status CheckAccess(fuse_req_t req, const InodeClaim& claim, int mask);
  // For removing or replacing `name` in `dir` without default_permissions:
  // write and search permission on the directory, and the sticky-bit rule
  // (only the owner of the entry or of the directory, or root).
  Status CheckRemove(fuse_req_t req, const InodeClaim& dir,
                     std::string_view name);

  // After a name of an inode went away: an inode left without links that
  // the kernel does not hold is freed now (DESIGN section 3).
  void AfterUnlink(const Unlinked& gone);
  // At FUSE_DESTROY (the filesystem is being unmounted): closes the image
  // cleanly, freeing the orphans and setting the clean flag.
  void OnDestroy();
  // After FORGET: frees the inode of `nodeid` if it was an orphan.
  void Forget(uint64_t nodeid, uint64_t nlookup);

  // Where the number of nodeids the kernel holds is published for
  // `ext4fh ctl status` (null: nowhere).
  void set_cached_inodes_counter(std::atomic<uint64_t>* counter) {
    cached_inodes_ = counter;
  }

  // The log that answers resent requests (null without shared state).
  RequestLog* log() { return log_; }
  void set_log(RequestLog* log) { log_ = log; }

  // The session notifications go through (set once it exists).
  void set_session(fuse_session* se) { session_ = se; }
  // Makes the kernel fetch the attributes of `nodeid` again, for changes it
  // cannot know of (ioctl flag changes). Safe inside a request.
  void InvalidateAttr(uint64_t nodeid);

 private:
  ServerConfig config_;
  Image& image_;
  NodeTable& nodes_;
  std::optional<uint64_t> resume_want_;
  fuse_session* session_ = nullptr;
  RequestLog* log_ = nullptr;
  std::atomic<uint64_t>* cached_inodes_ = nullptr;
  mutable std::mutex stale_mu_;
  std::unordered_set<uint64_t> marked_stale_;
  uint64_t negotiated_want_ = 0;
};

Server& ServerOf(fuse_req_t req);

}  // namespace ext4fh
