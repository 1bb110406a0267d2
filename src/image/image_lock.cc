#include "image/image_lock.h"

#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <sstream>

namespace ext4fh {
namespace {

std::string ReadFirstLine(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

std::string RealPath(const std::string& path) {
  char buf[PATH_MAX];
  return realpath(path.c_str(), buf) ? std::string(buf) : std::string();
}

// A loop device whose backing file is this image (same inode) at `offset`.
std::string FindLoopDevice(const struct stat& image, uint64_t offset) {
  glob_t g{};
  std::string found;
  if (glob("/sys/block/loop*/loop/backing_file", 0, nullptr, &g) != 0) {
    return found;
  }
  for (size_t i = 0; i < g.gl_pathc && found.empty(); ++i) {
    std::string dir = std::string(g.gl_pathv[i]);
    dir.resize(dir.size() - std::string("backing_file").size());
    struct stat st {};
    std::string backing = ReadFirstLine(g.gl_pathv[i]);
    if (stat(backing.c_str(), &st) != 0 || st.st_dev != image.st_dev ||
        st.st_ino != image.st_ino) {
      continue;
    }
    if (ReadFirstLine(dir + "offset") == std::to_string(offset)) {
      found = "/dev/" + dir.substr(std::string("/sys/block/").size(),
                                   dir.find("/loop/") -
                                       std::string("/sys/block/").size());
    }
  }
  globfree(&g);
  return found;
}

// A mount whose source is this image (by real path), e.g. fuse2fs.
std::string FindMountUsing(const std::string& real_image) {
  std::ifstream mounts("/proc/self/mounts");
  std::string line;
  while (std::getline(mounts, line)) {
    std::istringstream fields(line);
    std::string source, target;
    fields >> source >> target;
    if (!source.empty() && source[0] == '/' && RealPath(source) == real_image) {
      return target;
    }
  }
  return {};
}

Status Busy(const std::string& path, const std::string& why) {
  return Status::Error(EBUSY, path + ": image is in use: " + why);
}

Status CheckNotInUse(const std::string& path, const struct stat& st,
                     uint64_t offset) {
  if (S_ISREG(st.st_mode)) {
    std::string loop = FindLoopDevice(st, offset);
    if (!loop.empty()) {
      return Busy(path, "attached to " + loop);
    }
  }
  std::string target = FindMountUsing(RealPath(path));
  if (!target.empty()) {
    return Busy(path, "mounted on " + target);
  }
  return OkStatus();
}

}  // namespace

Result<ImageLock> ImageLock::Acquire(const std::string& path, uint64_t offset,
                                     bool exclusive) {
  ScopedFd fd(open(path.c_str(), (exclusive ? O_RDWR : O_RDONLY) | O_CLOEXEC));
  if (!fd.valid() && errno == ETXTBSY) {  // keeper/image_guard.h
    return Busy(path, "an ext4fh keeper guards it");
  }
  if (!fd.valid()) {
    return Status::Error(errno, path + ": cannot open image: " +
                                    std::strerror(errno));
  }
  struct stat st {};
  if (fstat(fd.get(), &st) != 0) {
    return Status::Error(errno, path + ": cannot stat image");
  }
  RETURN_IF_ERROR(CheckNotInUse(path, st, offset));
  struct flock lock {};
  lock.l_type = exclusive ? F_WRLCK : F_RDLCK;
  lock.l_whence = SEEK_SET;
  lock.l_start = static_cast<off_t>(offset);
  lock.l_len = 1;
  if (fcntl(fd.get(), F_OFD_SETLK, &lock) != 0) {
    if (errno == EAGAIN || errno == EACCES) {
      return Busy(path, "another ext4fh is serving it");
    }
    return Status::Error(errno, path + ": cannot lock image");
  }
  return ImageLock(std::move(fd));
}

}  // namespace ext4fh
