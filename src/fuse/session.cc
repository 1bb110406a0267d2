#include "fuse/session.h"

#include <fcntl.h>
#include <linux/fuse.h>
#include <pthread.h>
#include <signal.h>
#include <sys/uio.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <thread>

#include "fuse/kernel_abi.h"
#include "fuse/ops.h"
#include "fuse/request_info.h"
#include "util/fault.h"
#include "util/log.h"

namespace ext4fh {
namespace {

// The unique id given to a replayed INIT; even and non-zero as the kernel's
// are. Its reply never reaches the kernel.
constexpr uint64_t kSyntheticUnique = 2;
constexpr size_t kHeaderRoom = 4096;     // FUSE_BUFFER_HEADER_SIZE
constexpr size_t kMinReadBuffer = 8192;  // FUSE_MIN_READ_BUFFER
constexpr int kWakeSignal = SIGUSR1;

// Where the calling thread's next reply goes instead of (or as well as) the
// kernel. Set only around the synchronous INIT replay.
struct ReplyCapture {
  bool drop = false;
  bool used = false;
  std::vector<char> bytes;
};
thread_local ReplyCapture* tls_capture = nullptr;

ssize_t SessionWritev(int fd, struct iovec* iov, int count, void*) {
  ReplyCapture* capture = tls_capture;
  if (capture == nullptr || capture->used) {
    return writev(fd, iov, count);
  }
  capture->used = true;
  size_t total = 0;
  for (int i = 0; i < count; ++i) {
    const char* p = static_cast<const char*>(iov[i].iov_base);
    capture->bytes.insert(capture->bytes.end(), p, p + iov[i].iov_len);
    total += iov[i].iov_len;
  }
  return capture->drop ? static_cast<ssize_t>(total) : writev(fd, iov, count);
}

ssize_t SessionRead(int fd, void* buf, size_t len, void*) {
  return read(fd, buf, len);
}

void IgnoreWake(int) {}

// Installs a no-op handler for the wake signal without SA_RESTART, so a
// worker blocked in read() returns EINTR when Stop() signals it.
void InstallWakeHandler() {
  struct sigaction sa {};
  sa.sa_handler = IgnoreWake;
  sigemptyset(&sa.sa_mask);
  sigaction(kWakeSignal, &sa, nullptr);
}

Status CheckInitReply(const std::vector<char>& reply) {
  if (reply.size() < sizeof(fuse_out_header)) {
    return Status::Error(EPROTO, "short INIT reply");
  }
  fuse_out_header out;
  std::memcpy(&out, reply.data(), sizeof(out));
  if (out.error != 0) {
    return Status::Error(-out.error, "libfuse refused INIT");
  }
  return OkStatus();
}

uint32_t MaxWriteOf(const std::vector<char>& reply) {
  fuse_init_out init{};
  size_t n = std::min(sizeof(init), reply.size() - sizeof(fuse_out_header));
  std::memcpy(&init, reply.data() + sizeof(fuse_out_header), n);
  return init.max_write;
}

// Whether two INIT replies negotiate the same thing (all but the header).
bool SameNegotiation(std::span<const char> a, std::span<const char> b) {
  size_t h = sizeof(fuse_out_header);
  return a.size() == b.size() && a.size() >= h &&
         std::memcmp(a.data() + h, b.data() + h, a.size() - h) == 0;
}

}  // namespace

Result<std::unique_ptr<Session>> Session::Create(Server& server, int fuse_fd,
                                                 bool debug) {
  std::vector<const char*> argv = {"ext4fh"};
  if (debug) {
    argv.push_back("-d");
  }
  fuse_args args = FUSE_ARGS_INIT(static_cast<int>(argv.size()),
                                  const_cast<char**>(argv.data()));
  fuse_lowlevel_ops ops = MakeOps();
  fuse_session* se = fuse_session_new(&args, &ops, sizeof(ops), &server);
  if (se == nullptr) {
    return Status::Error(EINVAL, "cannot create FUSE session");
  }
  ScopedFd fd(fcntl(fuse_fd, F_DUPFD_CLOEXEC, 3));
  if (!fd.valid()) {
    fuse_session_destroy(se);
    return Status::Error(errno, "cannot duplicate /dev/fuse fd");
  }
  fuse_custom_io io{};
  io.writev = SessionWritev;
  io.read = SessionRead;
  int raw = fd.get();
  if (int rc = fuse_session_custom_io(se, &io, raw); rc != 0) {
    fuse_session_destroy(se);
    return Status::Error(-rc, "cannot attach FUSE session");
  }
  fd.release();  // fuse_session_destroy closes it
  server.set_session(se);
  return std::unique_ptr<Session>(new Session(server, se, raw));
}

Session::~Session() {
  server_.set_session(nullptr);
  fuse_session_destroy(se_);
}

Status Session::Init(SharedState& state, StartMode mode) {
  std::span<const char> recorded = state.init_request();
  std::vector<char> request(recorded.begin(), recorded.end());
  fuse_in_header in{};
  if (request.size() < sizeof(in)) {
    return Status::Error(EPROTO, "no recorded INIT request");
  }
  std::memcpy(&in, request.data(), sizeof(in));
  if (in.opcode != FUSE_INIT) {
    return Status::Error(EPROTO, "recorded request is not INIT");
  }
  if (mode == StartMode::kResume) {
    in.unique = kSyntheticUnique;
    std::memcpy(request.data(), &in, sizeof(in));
  }
  ReplyCapture capture;
  capture.drop = mode == StartMode::kResume;
  tls_capture = &capture;
  fuse_buf buf{};
  buf.mem = request.data();
  buf.size = request.size();
  fuse_session_process_buf(se_, &buf);
  tls_capture = nullptr;
  if (!capture.used) {
    return Status::Error(EPROTO, "libfuse did not answer INIT");
  }
  RETURN_IF_ERROR(CheckInitReply(capture.bytes));
  buffer_size_ = std::max<size_t>(MaxWriteOf(capture.bytes) + kHeaderRoom,
                                  kMinReadBuffer);
  if (mode == StartMode::kFresh) {
    state.SetInitReply(capture.bytes, server_.negotiated_want());
    return OkStatus();
  }
  if (!SameNegotiation(capture.bytes, state.init_reply())) {
    return Status::Error(EPROTO, "this server negotiates differently from "
                                 "the one the kernel knows");
  }
  return OkStatus();
}

Status Session::WriteNotification(int32_t code) {
  fuse_out_header out{};
  out.len = sizeof(out);
  out.error = code;
  out.unique = 0;
  if (write(fd_, &out, sizeof(out)) != static_cast<ssize_t>(sizeof(out))) {
    return Status::Error(errno, "cannot write notification " +
                                    std::to_string(code));
  }
  return OkStatus();
}

Status Session::Resend() {
  return WriteNotification(kNotifyResend);
}

Status Session::IncrementEpoch() {
  return WriteNotification(kNotifyIncEpoch);
}

namespace {

// `offset` -1: attributes only; 0: attributes and every page.
Status NotifyInvalInode(fuse_session* se, uint64_t nodeid, off_t offset) {
  int rc = fuse_lowlevel_notify_inval_inode(se, nodeid, offset, 0);
  if (rc != 0 && rc != -ENOENT) {  // ENOENT: the kernel no longer has it
    return Status::Error(-rc, "cannot invalidate inode");
  }
  return OkStatus();
}

}  // namespace

Status Session::InvalidateAttributes(uint64_t nodeid) {
  return NotifyInvalInode(se_, nodeid, -1);
}

Status Session::InvalidatePages(uint64_t nodeid) {
  return NotifyInvalInode(se_, nodeid, 0);
}

void Session::Worker(size_t buffer_size, Status* result) {
  std::vector<char> buf(buffer_size);
  while (!stopping_.load()) {
    ssize_t n = read(fd_, buf.data(), buf.size());
    if (n < 0) {
      int err = errno;
      if (err == EINTR || err == EAGAIN || err == ENOENT) {
        continue;
      }
      if (err == ENODEV) {
        unmounted_.store(true);
      } else {
        *result = Status::Error(err, "cannot read /dev/fuse");
      }
      stopping_.store(true);
      return;
    }
    if (static_cast<size_t>(n) < sizeof(fuse_in_header)) {
      continue;
    }
    CrashPoint("after-read");
    fuse_in_header in;
    std::memcpy(&in, buf.data(), sizeof(in));
    if ((in.unique & kUniqueResend) && resent_counter_ != nullptr) {
      resent_counter_->fetch_add(1);
    }
    ScopedRequest scope(RequestInfo{in.unique & ~kUniqueResend, in.opcode,
                                    (in.unique & kUniqueResend) != 0});
    fuse_buf fb{};
    fb.mem = buf.data();
    fb.size = static_cast<size_t>(n);
    fuse_session_process_buf(se_, &fb);
    if (server_.image().panicked()) {
      stopping_.store(true);
      return;
    }
  }
}

Status Session::Run(int threads) {
  InstallWakeHandler();
  std::vector<Status> results(std::max(threads, 1));
  std::vector<std::thread> workers;
  {
    std::lock_guard lock(threads_mu_);
    for (Status& result : results) {
      workers.emplace_back(&Session::Worker, this, buffer_size_, &result);
      threads_.push_back(workers.back().native_handle());
    }
  }
  for (std::thread& t : workers) {
    t.join();
  }
  {
    std::lock_guard lock(threads_mu_);
    threads_.clear();
  }
  for (const Status& result : results) {
    RETURN_IF_ERROR(result);
  }
  return OkStatus();
}

void Session::Stop() {
  stopping_.store(true);
  // A worker may be between its flag check and read(); keep waking until
  // every worker has left Run().
  while (true) {
    {
      std::lock_guard lock(threads_mu_);
      if (threads_.empty()) {
        return;
      }
      for (pthread_t t : threads_) {
        pthread_kill(t, kWakeSignal);
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

}  // namespace ext4fh
