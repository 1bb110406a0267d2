// Mounting a FUSE filesystem, two ways.
//
// Directly, as root: open /dev/fuse, attach a loop device to the image
// (fuse/loop_device.h), then
//   mount("/dev/loopN", mountpoint, "fuseblk.ext4fh", MS_NOSUID | ...,
//         "fd=N,rootmode=40000,user_id=U,group_id=G,blksize=4096[,...]")
// A fuseblk connection gets FUSE_DESTROY at unmount, and umount waits for
// its answer (docs/kernel-facts.md, Q14). Without loop devices: a plain
// "fuse.ext4fh" mount of the image path. The kernel queues FUSE_INIT on the
// fd as soon as the mount exists.
//
// Through fusermount3 when that is not permitted: fuse/fusermount.h.

#include "fuse/mount.h"

#include <fcntl.h>
#include <linux/fuse.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <vector>

#include "fuse/fusermount.h"
#include "fuse/loop_device.h"
#include "util/log.h"

namespace ext4fh {
namespace {

constexpr char kFuseDevice[] = "/dev/fuse";
constexpr char kFuseType[] = "fuse.ext4fh";
constexpr char kFuseBlockType[] = "fuseblk.ext4fh";
// fuseblk's block size: the largest the kernel accepts. BMAP converts
// between it and the filesystem's (fuse/op_ioctl.cc).
constexpr int kBlockSize = 4096;

struct FlagOption {
  const char* name;
  unsigned long flag;
  bool set;
};
constexpr FlagOption kFlagOptions[] = {
    {"nosuid", MS_NOSUID, true}, {"suid", MS_NOSUID, false},
    {"nodev", MS_NODEV, true},   {"dev", MS_NODEV, false},
    {"noexec", MS_NOEXEC, true}, {"exec", MS_NOEXEC, false},
};

const FlagOption* FindFlag(const std::string& name) {
  for (const FlagOption& option : kFlagOptions) {
    if (name == option.name) {
      return &option;
    }
  }
  return nullptr;
}

// The mount(2) flags: nosuid,nodev by default, as libfuse and fusermount3.
unsigned long KernelFlags(const MountRequest& r) {
  unsigned long flags = MS_NOSUID | MS_NODEV;
  for (const std::string& name : r.flags) {
    if (const FlagOption* option = FindFlag(name)) {
      flags = option->set ? flags | option->flag : flags & ~option->flag;
    }
  }
  return r.read_only ? flags | MS_RDONLY : flags;
}

// The data argument of mount(2).
std::string KernelOptions(const MountRequest& r, int fd, mode_t root_type) {
  char ids[96];
  std::snprintf(ids, sizeof(ids), "fd=%d,rootmode=%o,user_id=%u,group_id=%u",
                fd, static_cast<unsigned>(root_type), getuid(), getgid());
  std::string opts = ids;
  if (r.allow_other) {
    opts += ",allow_other";
  }
  if (r.default_permissions) {
    opts += ",default_permissions";
  }
  return opts;
}

// mount(2) of type `type` from `source` with the connection `fd`.
Status KernelMount(const MountRequest& r, const std::string& source,
                   const char* type, int fd, const std::string& extra) {
  struct stat st {};
  if (stat(r.mountpoint.c_str(), &st) != 0) {
    return Status::Error(
        errno, "cannot mount on " + r.mountpoint + ": " + std::strerror(errno));
  }
  std::string data = KernelOptions(r, fd, st.st_mode & S_IFMT) + extra;
  if (mount(source.c_str(), r.mountpoint.c_str(), type, KernelFlags(r),
            data.c_str()) != 0) {
    return Status::Error(
        errno, "cannot mount on " + r.mountpoint + ": " + std::strerror(errno));
  }
  return OkStatus();
}

// A fuseblk mount over a loop device on the image (fuse/loop_device.h).
Status MountBlock(const MountRequest& r, int fd) {
  ASSIGN_OR_RETURN(LoopDevice loop,
                   AttachLoopDevice(r.fsname, r.offset, r.read_only));
  // The mount holds the device from now on; closing our fd (when `loop`
  // goes) lets autoclear detach it after the unmount.
  return KernelMount(r, loop.path, kFuseBlockType, fd,
                     ",blksize=" + std::to_string(kBlockSize));
}

Result<ScopedFd> MountDirect(const MountRequest& r) {
  ScopedFd fd(open(kFuseDevice, O_RDWR | O_CLOEXEC));
  if (!fd.valid()) {
    return Status::Error(errno, std::string("cannot open ") + kFuseDevice +
                                    ": " + std::strerror(errno));
  }
  Status block = MountBlock(r, fd.get());
  if (block.ok()) {
    return fd;
  }
  LOG(WARNING) << block.context() << "; mounting without a block device, "
               << "so unmounting does not wait for the image to be flushed";
  RETURN_IF_ERROR(KernelMount(r, r.fsname, kFuseType, fd.get(), ""));
  return fd;
}

}  // namespace

Result<ScopedFd> MountFuse(const MountRequest& request) {
  if (geteuid() != 0) {
    return MountWithFusermount(request);
  }
  Result<ScopedFd> direct = MountDirect(request);
  if (direct.ok() || (direct.err() != EPERM && direct.err() != EACCES)) {
    return direct;
  }
  LOG(INFO) << direct.status().context() << "; trying fusermount3";
  Result<ScopedFd> helped = MountWithFusermount(request);
  // Without fusermount3, the direct attempt's reason is the one that counts.
  return helped.err() == ENOENT ? std::move(direct) : std::move(helped);
}

Status UnmountFuse(const std::string& mountpoint, bool lazy) {
  if (geteuid() == 0) {
    if (umount2(mountpoint.c_str(), lazy ? MNT_DETACH : 0) != 0) {
      return Status::Error(
          errno, "cannot unmount " + mountpoint + ": " + std::strerror(errno));
    }
    return OkStatus();
  }
  return UnmountWithFusermount(mountpoint, lazy);
}

Result<std::string> ReadInitRequest(int fuse_fd) {
  std::vector<char> buf(1 << 16);
  while (true) {
    ssize_t n = read(fuse_fd, buf.data(), buf.size());
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
      continue;
    }
    if (n < 0) {
      return Status::Error(errno, "cannot read INIT from /dev/fuse");
    }
    fuse_in_header in{};
    if (static_cast<size_t>(n) < sizeof(in)) {
      return Status::Error(EPROTO, "short request from /dev/fuse");
    }
    std::memcpy(&in, buf.data(), sizeof(in));
    if (in.opcode != FUSE_INIT) {
      return Status::Error(EPROTO, "first request is not INIT");
    }
    return std::string(buf.data(), static_cast<size_t>(n));
  }
}

}  // namespace ext4fh
