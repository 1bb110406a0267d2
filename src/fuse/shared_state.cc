#include "fuse/shared_state.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cstring>

namespace ext4fh {

namespace {
constexpr uint64_t kMagic = 0x5453484634545845ULL;  // "EXT4FHST"
constexpr uint32_t kVersion = 4;
constexpr size_t kHeaderBytes = 65536;
}  // namespace

struct SharedState::Header {
  uint64_t magic;
  uint32_t version;
  uint32_t init_request_len;
  uint32_t init_reply_len;
  uint32_t pad;
  uint64_t init_want;
  char init_request[kMaxInitSize];
  char init_reply[kMaxInitSize];
  std::atomic<uint64_t> table_descriptor;
  StateCounters counters;
  std::atomic<uint64_t> log_next;
  LoggedRequest log[kRequestLogSize];
};
static_assert(sizeof(SharedState::Header) <= kHeaderBytes);
static_assert(sizeof(std::atomic<uint64_t>) == 8);
static_assert(std::atomic<uint64_t>::is_always_lock_free);

Result<std::unique_ptr<SharedState>> SharedState::Create() {
  ScopedFd fd(memfd_create("ext4fh-state", MFD_CLOEXEC));
  if (!fd.valid()) {
    return Status::Error(errno, "cannot create state memfd");
  }
  if (ftruncate(fd.get(), kHeaderBytes) != 0) {
    return Status::Error(errno, "cannot size state memfd");
  }
  void* p = mmap(nullptr, kHeaderBytes, PROT_READ | PROT_WRITE, MAP_SHARED,
                 fd.get(), 0);
  if (p == MAP_FAILED) {
    return Status::Error(errno, "cannot map state memfd");
  }
  auto* header = new (p) Header{};
  header->magic = kMagic;
  header->version = kVersion;
  header->counters.last_exit.store(-1);
  int raw = fd.get();
  return std::unique_ptr<SharedState>(
      new SharedState(std::move(fd), raw, header));
}

Result<std::unique_ptr<SharedState>> SharedState::Attach(int fd) {
  void* p =
      mmap(nullptr, kHeaderBytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED) {
    return Status::Error(errno, "cannot map state memfd");
  }
  auto* header = static_cast<Header*>(p);
  if (header->magic != kMagic || header->version != kVersion) {
    munmap(p, kHeaderBytes);
    return Status::Error(EINVAL, "state memfd has an unknown format");
  }
  return std::unique_ptr<SharedState>(new SharedState(ScopedFd(), fd, header));
}

SharedState::SharedState(ScopedFd owned, int fd, Header* header)
    : owned_fd_(std::move(owned)), fd_(fd), header_(header) {}

SharedState::~SharedState() {
  nodes_.reset();
  munmap(header_, kHeaderBytes);
}

void SharedState::SetInitRequest(std::span<const char> request) {
  std::memcpy(header_->init_request, request.data(), request.size());
  header_->init_request_len = static_cast<uint32_t>(request.size());
  header_->init_reply_len = 0;
}

std::span<const char> SharedState::init_request() const {
  return {header_->init_request, header_->init_request_len};
}

void SharedState::SetInitReply(std::span<const char> reply, uint64_t want) {
  size_t n = std::min(reply.size(), kMaxInitSize);
  std::memcpy(header_->init_reply, reply.data(), n);
  header_->init_want = want;
  header_->init_reply_len = static_cast<uint32_t>(n);
}

bool SharedState::has_init_reply() const {
  return header_->init_reply_len != 0;
}

std::span<const char> SharedState::init_reply() const {
  return {header_->init_reply, header_->init_reply_len};
}

uint64_t SharedState::init_want() const {
  return header_->init_want;
}

StateCounters& SharedState::counters() {
  return header_->counters;
}

LoggedRequest* SharedState::request_log() {
  return header_->log;
}

std::atomic<uint64_t>& SharedState::request_log_next() {
  return header_->log_next;
}

Result<NodeTable*> SharedState::nodes() {
  if (!nodes_) {
    ASSIGN_OR_RETURN(nodes_, NodeTable::Attach(fd_, &header_->table_descriptor));
  }
  return nodes_.get();
}

Result<std::unique_ptr<NodeTable>> SharedState::MapNodes() {
  return NodeTable::Attach(fd_, &header_->table_descriptor);
}

}  // namespace ext4fh
