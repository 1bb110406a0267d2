#pragma once

// Mounts for integration tests. Both kinds unmount in their destructor,
// even when the test failed: ext4fh mounts with `fusermount3 -u`, retried,
// then `-z`, then the keeper is killed; kernel mounts with umount, then
// umount -l. Loop devices are attached with autoclear, so they go with the
// mount.

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

namespace ext4fh::testutil {

// The ext4fh binary under test.
std::string Ext4fhBinary();

class Ext4fhMount {
 public:
  // Runs `ext4fh -f [options] image mountpoint` and waits until the mount
  // is up. Returns null (and the keeper's output in `*error`) when the
  // keeper exits first or the mount does not appear within 20 s.
  static std::unique_ptr<Ext4fhMount> Start(
      const std::string& image, const std::string& mountpoint,
      const std::vector<std::string>& options, std::string* error);
  Ext4fhMount(const Ext4fhMount&) = delete;
  Ext4fhMount& operator=(const Ext4fhMount&) = delete;
  ~Ext4fhMount();

  const std::string& path() const { return mountpoint_; }
  pid_t keeper_pid() const { return keeper_; }
  const std::string& log_path() const { return log_; }

  // Unmounts and waits for the keeper to exit. Returns the keeper's exit
  // code, or -1 if it had to be killed.
  int Unmount();

 private:
  Ext4fhMount(std::string mountpoint, pid_t keeper, std::string log)
      : mountpoint_(std::move(mountpoint)), keeper_(keeper), log_(std::move(log)) {}

  std::string mountpoint_;
  pid_t keeper_;
  std::string log_;
  bool unmounted_ = false;
};

class KernelMount {
 public:
  // Mounts `image` (ext2/3/4) on `mountpoint` through a loop device.
  static std::unique_ptr<KernelMount> Start(const std::string& image,
                                            const std::string& mountpoint,
                                            bool read_only, std::string* error);
  KernelMount(const KernelMount&) = delete;
  KernelMount& operator=(const KernelMount&) = delete;
  ~KernelMount();

  const std::string& path() const { return mountpoint_; }
  // Unmounts; returns true on success.
  bool Unmount();

 private:
  explicit KernelMount(std::string mountpoint)
      : mountpoint_(std::move(mountpoint)) {}
  std::string mountpoint_;
  bool unmounted_ = false;
};

// Unmounts an ext4fh mount that no Ext4fhMount owns (one ext4fh made in
// the background, or mount.fuse3 or mount(8) made) like Ext4fhMount does,
// then waits for the processes that name `mountpoint` (keeper and server)
// to exit, killing them after 20 s. Returns whether they exited by
// themselves.
bool UnmountDetached(const std::string& mountpoint);

// Whether `path` is a mount point now.
bool IsMounted(const std::string& path);

// Whether FUSE tests can run here (/dev/fuse and fusermount3 exist).
bool FuseAvailable();

// Whether the kernel can loop-mount ext4 here (root, /dev/loop-control).
bool KernelMountAvailable();

}  // namespace ext4fh::testutil
