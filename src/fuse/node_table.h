#pragma once

// The table of every nodeid the kernel may hold, with its lookup count
// (DESIGN sections 3 and 4).
//
// It lives in a memfd that the keeper keeps open, so it outlives the server:
// a restarted server knows exactly which inodes the kernel caches, can
// revalidate each one, and frees an open-unlinked inode only at the FORGET
// that brings its count to zero.
//
// Layout: an open-addressing hash table of {nodeid, count} slots with linear
// probing, in a region of the memfd. The region's offset and capacity are
// published in one 64-bit word of the state header, so a server killed while
// growing the table leaves the old region intact. Slot updates are ordered so
// that a kill at any instruction leaves at worst a duplicate slot or a slot
// with a count but no key; Attach() rebuilds the table and drops both.
//
// Counts are never too low: a count is raised before the reply that creates
// the kernel reference is sent. A request whose server died after counting
// and before replying is resent, and counts once (request_log.h CountOnce
// records the count under the request's unique id). Only a server killed
// between the count and that record leaves a count one too high, which
// delays freeing an orphan to the unmount.

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>

#include "util/status.h"

namespace ext4fh {

class NodeTable {
 public:
  // A table over memfd `fd`, published through `*descriptor` (a word in the
  // shared header). An empty descriptor means no table yet; one is created.
  // A non-empty one is mapped and rebuilt.
  static Result<std::unique_ptr<NodeTable>> Attach(
      int fd, std::atomic<uint64_t>* descriptor);

  NodeTable(const NodeTable&) = delete;
  NodeTable& operator=(const NodeTable&) = delete;
  ~NodeTable();

  // Adds `n` lookups of `nodeid`; returns the new count.
  uint64_t Add(uint64_t nodeid, uint64_t n);
  // Removes up to `n` lookups of `nodeid`; returns the new count (0 means
  // the kernel forgot the inode; it is no longer in the table).
  uint64_t Forget(uint64_t nodeid, uint64_t n);
  uint64_t Count(uint64_t nodeid) const;
  size_t size() const;
  // Calls `fn` for each nodeid and its count. `fn` must not call back.
  void ForEach(const std::function<void(uint64_t, uint64_t)>& fn) const;

 private:
  struct Slot {
    std::atomic<uint64_t> nodeid;  // 0: empty
    std::atomic<uint64_t> count;
  };

  NodeTable(int fd, std::atomic<uint64_t>* descriptor);
  Status Map(uint64_t descriptor);
  Status Rebuild(uint64_t min_capacity);
  Slot* Find(uint64_t nodeid) const;
  void Insert(uint64_t nodeid, uint64_t count);
  void Erase(Slot* slot);
  size_t Home(uint64_t nodeid) const;

  mutable std::mutex mu_;
  int fd_;
  std::atomic<uint64_t>* descriptor_;
  Slot* slots_ = nullptr;
  uint64_t capacity_ = 0;
  uint64_t region_offset_ = 0;
  size_t size_ = 0;
};

}  // namespace ext4fh
