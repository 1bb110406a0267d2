#include "fuse/node_table.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bit>
#include <vector>

#include "util/log.h"
#include "util/mix.h"

namespace ext4fh {
namespace {

constexpr uint64_t kMinCapacity = 4096;
constexpr uint64_t kPage = 4096;
constexpr uint64_t kLog2Mask = 63;

// Descriptor word: page-aligned region offset | log2(capacity).
uint64_t MakeDescriptor(uint64_t offset, uint64_t capacity) {
  return offset | static_cast<uint64_t>(std::countr_zero(capacity));
}

}  // namespace

Result<std::unique_ptr<NodeTable>> NodeTable::Attach(
    int fd, std::atomic<uint64_t>* descriptor) {
  std::unique_ptr<NodeTable> table(new NodeTable(fd, descriptor));
  uint64_t desc = descriptor->load();
  if (desc != 0) {
    RETURN_IF_ERROR(table->Map(desc));
  }
  std::lock_guard lock(table->mu_);
  RETURN_IF_ERROR(table->Rebuild(kMinCapacity));
  return table;
}

NodeTable::NodeTable(int fd, std::atomic<uint64_t>* descriptor)
    : fd_(fd), descriptor_(descriptor) {}

NodeTable::~NodeTable() {
  if (slots_ != nullptr) {
    munmap(slots_, capacity_ * sizeof(Slot));
  }
}

Status NodeTable::Map(uint64_t descriptor) {
  uint64_t capacity = 1ULL << (descriptor & kLog2Mask);
  uint64_t offset = descriptor & ~(kPage - 1);
  void* p = mmap(nullptr, capacity * sizeof(Slot), PROT_READ | PROT_WRITE,
                 MAP_SHARED, fd_, static_cast<off_t>(offset));
  if (p == MAP_FAILED) {
    return Status::Error(errno, "cannot map node table");
  }
  slots_ = static_cast<Slot*>(p);
  capacity_ = capacity;
  region_offset_ = offset;
  return OkStatus();
}

// Copies every live, distinct entry into a new region of at least
// `min_capacity` slots (twice the entries, a power of two) at the end of the
// memfd, publishes it, and frees the old one. REQUIRES: mu_ held.
Status NodeTable::Rebuild(uint64_t min_capacity) {
  std::vector<std::pair<uint64_t, uint64_t>> live;
  for (uint64_t i = 0; i < capacity_; ++i) {
    uint64_t id = slots_[i].nodeid.load(std::memory_order_relaxed);
    if (id != 0) {
      live.emplace_back(id, slots_[i].count.load(std::memory_order_relaxed));
    }
  }
  uint64_t capacity = std::bit_ceil(std::max(min_capacity, live.size() * 2));
  struct stat st {};
  if (fstat(fd_, &st) != 0) {
    return Status::Error(errno, "cannot stat node table");
  }
  uint64_t offset = (static_cast<uint64_t>(st.st_size) + kPage - 1) & ~(kPage - 1);
  if (ftruncate(fd_, static_cast<off_t>(offset + capacity * sizeof(Slot))) != 0) {
    return Status::Error(errno, "cannot grow node table");
  }
  Slot* old_slots = slots_;
  uint64_t old_capacity = capacity_;
  uint64_t old_offset = region_offset_;
  RETURN_IF_ERROR(Map(MakeDescriptor(offset, capacity)));
  size_ = 0;
  for (const auto& [id, count] : live) {
    if (Find(id) == nullptr) {
      Insert(id, count);
    }
  }
  descriptor_->store(MakeDescriptor(offset, capacity));
  if (old_slots != nullptr) {
    munmap(old_slots, old_capacity * sizeof(Slot));
    fallocate(fd_, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
              static_cast<off_t>(old_offset),
              static_cast<off_t>(old_capacity * sizeof(Slot)));
  }
  return OkStatus();
}

size_t NodeTable::Home(uint64_t nodeid) const {
  return Mix64(nodeid) & (capacity_ - 1);
}

NodeTable::Slot* NodeTable::Find(uint64_t nodeid) const {
  for (size_t i = Home(nodeid);; i = (i + 1) & (capacity_ - 1)) {
    uint64_t id = slots_[i].nodeid.load(std::memory_order_relaxed);
    if (id == nodeid) {
      return &slots_[i];
    }
    if (id == 0) {
      return nullptr;
    }
  }
}

// The count is stored before the key, so a kill in between leaves a slot
// that still reads as empty.
void NodeTable::Insert(uint64_t nodeid, uint64_t count) {
  size_t i = Home(nodeid);
  while (slots_[i].nodeid.load(std::memory_order_relaxed) != 0) {
    i = (i + 1) & (capacity_ - 1);
  }
  slots_[i].count.store(count, std::memory_order_relaxed);
  slots_[i].nodeid.store(nodeid, std::memory_order_release);
  ++size_;
}

// Backward-shift deletion: moves later entries of the probe run into the
// hole, copying each before clearing its old slot (a kill in between leaves
// a duplicate, which Rebuild drops).
void NodeTable::Erase(Slot* slot) {
  size_t hole = slot - slots_;
  size_t i = hole;
  while (true) {
    i = (i + 1) & (capacity_ - 1);
    uint64_t id = slots_[i].nodeid.load(std::memory_order_relaxed);
    if (id == 0) {
      break;
    }
    size_t home = Home(id);
    bool movable = hole <= i ? (home <= hole || home > i)
                             : (home <= hole && home > i);
    if (movable) {
      slots_[hole].count.store(slots_[i].count.load());
      slots_[hole].nodeid.store(id);
      hole = i;
    }
  }
  slots_[hole].nodeid.store(0);
  slots_[hole].count.store(0);
  --size_;
}

uint64_t NodeTable::Add(uint64_t nodeid, uint64_t n) {
  std::lock_guard lock(mu_);
  if (Slot* slot = Find(nodeid)) {
    uint64_t count = slot->count.load() + n;
    slot->count.store(count);
    return count;
  }
  if ((size_ + 1) * 2 > capacity_) {
    Status st = Rebuild(capacity_ * 2);
    if (!st.ok() && size_ + 2 >= capacity_) {
      LOG(ERROR) << "Cannot grow full node table, not tracking " << nodeid
                 << ": " << st.ToString();
      return n;
    }
  }
  Insert(nodeid, n);
  return n;
}

uint64_t NodeTable::Forget(uint64_t nodeid, uint64_t n) {
  std::lock_guard lock(mu_);
  Slot* slot = Find(nodeid);
  if (slot == nullptr) {
    return 0;  // normal after a restart: the count was already dropped
  }
  uint64_t count = slot->count.load();
  if (count > n) {
    slot->count.store(count - n);
    return count - n;
  }
  Erase(slot);
  return 0;
}

uint64_t NodeTable::Count(uint64_t nodeid) const {
  std::lock_guard lock(mu_);
  const Slot* slot = Find(nodeid);
  return slot ? slot->count.load() : 0;
}

size_t NodeTable::size() const {
  std::lock_guard lock(mu_);
  return size_;
}

void NodeTable::ForEach(
    const std::function<void(uint64_t, uint64_t)>& fn) const {
  std::lock_guard lock(mu_);
  for (uint64_t i = 0; i < capacity_; ++i) {
    uint64_t id = slots_[i].nodeid.load();
    if (id != 0) {
      fn(id, slots_[i].count.load());
    }
  }
}

}  // namespace ext4fh
