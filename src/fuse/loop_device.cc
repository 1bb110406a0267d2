#include "fuse/loop_device.h"

#include <fcntl.h>
#include <linux/loop.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cstring>

namespace ext4fh {
namespace {

constexpr int kAttempts = 8;  // another process may take the free device

}  // namespace

Result<LoopDevice> AttachLoopDevice(const std::string& image, uint64_t offset,
                                    bool read_only) {
  ScopedFd control(open("/dev/loop-control", O_RDWR | O_CLOEXEC));
  if (!control.valid()) {
    return Status::Error(errno, std::string("cannot open /dev/loop-control: ") +
                                    std::strerror(errno));
  }
  ScopedFd backing(
      open(image.c_str(), (read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC));
  if (!backing.valid()) {
    return Status::Error(errno, "cannot open " + image);
  }
  loop_config config{};
  config.fd = static_cast<uint32_t>(backing.get());
  config.info.lo_offset = offset;
  config.info.lo_flags =
      LO_FLAGS_AUTOCLEAR | (read_only ? LO_FLAGS_READ_ONLY : 0);
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    int n = ioctl(control.get(), LOOP_CTL_GET_FREE);
    if (n < 0) {
      return Status::Error(errno, "no free loop device");
    }
    std::string path = "/dev/loop" + std::to_string(n);
    ScopedFd dev(open(path.c_str(), (read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC));
    if (!dev.valid()) {
      return Status::Error(errno, "cannot open " + path);
    }
    if (ioctl(dev.get(), LOOP_CONFIGURE, &config) == 0) {
      return LoopDevice{std::move(dev), path};
    }
    if (errno != EBUSY) {
      return Status::Error(errno, "cannot attach " + path + " to " + image +
                                      ": " + std::strerror(errno));
    }
  }
  return Status::Error(EBUSY, "cannot find a free loop device");
}

}  // namespace ext4fh
