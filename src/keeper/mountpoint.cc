#include "keeper/mountpoint.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <sstream>

namespace ext4fh {
namespace {

// Undoes the octal escapes of /proc/self/mountinfo (\040 for space...).
std::string Unescape(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size()) {
      out.push_back(
          static_cast<char>(std::stoi(s.substr(i + 1, 3), nullptr, 8)));
      i += 3;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

}  // namespace

bool IsMountPoint(const std::string& path) {
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string id, parent, dev, root, target;
    fields >> id >> parent >> dev >> root >> target;
    if (Unescape(target) == path) {
      return true;
    }
  }
  return false;
}

Status CheckMountpoint(const std::string& path) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) {
    return Status::Error(errno, path + ": mountpoint: " + std::strerror(errno));
  }
  if (!S_ISDIR(st.st_mode)) {
    return Status::Error(ENOTDIR, path + ": mountpoint is not a directory");
  }
  if (IsMountPoint(path)) {
    return Status::Error(EBUSY, path + ": mountpoint is already mounted");
  }
  return OkStatus();
}

// Without root the mount goes through fusermount3, which refuses a
// mountpoint the user cannot write to, or a sticky one the user does not
// own (libfuse util/fusermount.c, check_perm). It checks with the real
// uid, as access() does.
Status CheckUserMayMount(const std::string& path) {
  if (geteuid() == 0) {
    return OkStatus();
  }
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) {
    return Status::Error(errno, path + ": mountpoint: " + std::strerror(errno));
  }
  if (access(path.c_str(), W_OK) != 0) {
    return Status::Error(EACCES, path +
                                     ": mountpoint is not writable by you "
                                     "(needed to mount without root)");
  }
  if ((st.st_mode & S_ISVTX) != 0 && st.st_uid != getuid()) {
    return Status::Error(EACCES, path +
                                     ": mountpoint is sticky and not yours "
                                     "(needed to mount without root)");
  }
  return OkStatus();
}

}  // namespace ext4fh
