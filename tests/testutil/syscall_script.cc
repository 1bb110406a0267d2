#include "testutil/syscall_script.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <functional>
#include <map>
#include <sstream>

namespace ext4fh::testutil {
namespace {

std::vector<std::string> Split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::stringstream in(s);
  std::string part;
  while (std::getline(in, part, sep)) {
    if (!part.empty()) {
      out.push_back(part);
    }
  }
  return out;
}

std::string ErrName(int err) {
  const char* name = strerrorname_np(err);
  return name ? name : "E" + std::to_string(err);
}

std::string Data(const std::string& token) {
  if (token == "empty") {
    return "";
  }
  if (token.starts_with("zeros:")) {
    return std::string(std::stoul(token.substr(6)), '\0');
  }
  if (token.starts_with("pat:")) {
    size_t n = std::stoul(token.substr(4));
    std::string s(n, '\0');
    uint32_t x = 12345;
    for (size_t i = 0; i < n; ++i) {
      x = x * 1103515245 + 12345;
      s[i] = static_cast<char>(x >> 16);
    }
    return s;
  }
  return token;
}

std::string Show(const std::string& data) {
  if (data.size() <= 32 &&
      std::all_of(data.begin(), data.end(), [](char c) { return isprint(c); })) {
    return "'" + data + "'";
  }
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : data) {
    h = (h ^ c) * 1099511628211ULL;
  }
  return std::to_string(data.size()) + " bytes #" + std::to_string(h % 1000003);
}

int OpenFlags(const std::string& spec) {
  static const std::map<std::string, int> kFlags = {
      {"rdonly", O_RDONLY}, {"wronly", O_WRONLY},     {"rdwr", O_RDWR},
      {"creat", O_CREAT},   {"excl", O_EXCL},         {"trunc", O_TRUNC},
      {"append", O_APPEND}, {"directory", O_DIRECTORY}, {"nofollow", O_NOFOLLOW},
      {"nonblock", O_NONBLOCK}};
  int flags = 0;
  for (const std::string& f : Split(spec, ',')) {
    flags |= kFlags.at(f);
  }
  return flags;
}

int FallocModes(const std::string& spec) {
  static const std::map<std::string, int> kModes = {
      {"0", 0},
      {"keep", FALLOC_FL_KEEP_SIZE},
      {"punch", FALLOC_FL_PUNCH_HOLE},
      {"zero", FALLOC_FL_ZERO_RANGE},
      {"collapse", FALLOC_FL_COLLAPSE_RANGE},
      {"insert", FALLOC_FL_INSERT_RANGE}};
  int mode = 0;
  for (const std::string& m : Split(spec, ',')) {
    mode |= kModes.at(m);
  }
  return mode;
}

unsigned InodeFlags(const std::string& spec) {
  unsigned flags = 0;
  for (char c : spec) {
    flags |= c == 'a' ? FS_APPEND_FL : c == 'i' ? FS_IMMUTABLE_FL
           : c == 'd' ? FS_NODUMP_FL : c == 'A' ? FS_NOATIME_FL
           : c == 'S' ? FS_SYNC_FL : 0;
  }
  return flags;
}

std::string FlagLetters(unsigned flags) {
  std::string out;
  out += (flags & FS_APPEND_FL) ? "a" : "";
  out += (flags & FS_IMMUTABLE_FL) ? "i" : "";
  out += (flags & FS_NODUMP_FL) ? "d" : "";
  out += (flags & FS_NOATIME_FL) ? "A" : "";
  out += (flags & FS_SYNC_FL) ? "S" : "";
  return out.empty() ? "-" : out;
}

// "u::rw,u:65534:r,g::r,m::rw,o::-" -> VFS ACL xattr value.
std::string AclValue(const std::string& text) {
  std::string out(4, '\0');
  uint32_t version = 2;
  memcpy(out.data(), &version, 4);
  for (const std::string& e : Split(text, ',')) {
    std::vector<std::string> f;
    std::stringstream in(e);
    std::string part;
    while (std::getline(in, part, ':')) {
      f.push_back(part);
    }
    bool named = f.size() == 3 && !f[1].empty();
    uint16_t tag = f[0] == "u" ? (named ? 2 : 1)
                 : f[0] == "g" ? (named ? 8 : 4)
                 : f[0] == "m" ? 0x10 : 0x20;
    uint16_t perm = 0;
    for (char c : f.back()) {
      perm |= c == 'r' ? 4 : c == 'w' ? 2 : c == 'x' ? 1 : 0;
    }
    uint32_t id = named ? std::stoul(f[1]) : static_cast<uint32_t>(-1);
    char entry[8];
    memcpy(entry, &tag, 2);
    memcpy(entry + 2, &perm, 2);
    memcpy(entry + 4, &id, 4);
    out.append(entry, 8);
  }
  return out;
}

std::string AclText(const std::string& value) {
  std::string out;
  for (size_t off = 4; off + 8 <= value.size(); off += 8) {
    uint16_t tag, perm;
    uint32_t id;
    memcpy(&tag, value.data() + off, 2);
    memcpy(&perm, value.data() + off + 2, 2);
    memcpy(&id, value.data() + off + 4, 4);
    out += (tag <= 2 ? "u:" : tag <= 8 ? "g:" : tag == 0x10 ? "m:" : "o:");
    out += (tag == 2 || tag == 8) ? std::to_string(id) : "";
    out += ":";
    out += (perm & 4) ? "r" : "-";
    out += (perm & 2) ? "w" : "-";
    out += (perm & 1) ? "x" : "-";
    out += ",";
  }
  return out;
}

std::string Describe(const struct stat& st) {
  char buf[160];
  snprintf(buf, sizeof(buf), "mode=%o nlink=%lu uid=%u gid=%u size=%ld blocks=%ld",
           st.st_mode, static_cast<unsigned long>(st.st_nlink), st.st_uid,
           st.st_gid, static_cast<long>(st.st_size),
           static_cast<long>(st.st_blocks));
  std::string out = buf;
  if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
    out += " rdev=" + std::to_string(major(st.st_rdev)) + ":" +
           std::to_string(minor(st.st_rdev));
  }
  return out;
}

// A timestamp to the nanosecond, or "now" when it is within 10 s of the
// clock: what UTIME_NOW and writes set differs between two runs.
std::string TimeText(const timespec& t) {
  timespec now {};
  clock_gettime(CLOCK_REALTIME, &now);
  if (t.tv_sec > now.tv_sec - 10 && t.tv_sec < now.tv_sec + 10) {
    return "now";
  }
  char buf[64];
  snprintf(buf, sizeof(buf), "%lld.%09ld", static_cast<long long>(t.tv_sec),
           t.tv_nsec);
  return buf;
}

timespec ParseTime(const std::string& t) {
  if (t == "now") {
    return {0, UTIME_NOW};
  }
  if (t == "omit") {
    return {0, UTIME_OMIT};
  }
  size_t dot = t.find('.');
  return {std::stol(t.substr(0, dot)),
          dot == std::string::npos ? 0 : std::stol(t.substr(dot + 1))};
}

class Interpreter {
 public:
  explicit Interpreter(std::string root) : root_(std::move(root)) {}
  ~Interpreter() {
    for (auto& [slot, f] : fds_) {
      close(f.fd);
    }
    RemoveScratch();
    if (saved_cwd_ >= 0) {
      (void)!fchdir(saved_cwd_);
      close(saved_cwd_);
    }
  }

  std::string Run(const std::vector<std::string>& steps) {
    for (size_t i = 0; i < steps.size(); ++i) {
      std::vector<std::string> a = Split(steps[i], ' ');
      std::vector<std::string> watched = Watched(a);
      std::map<std::string, struct stat> before = Times(watched);
      out_ << "#" << i << " " << steps[i] << " => ";
      errno = 0;
      out_ << Step(a) << "\n";
      ReportTimes(watched, before);
    }
    return out_.str();
  }

 private:
  struct OpenFile {
    int fd;
    std::string path;
  };

  // The path a step names: "@" is the root; any other path is relative
  // to the root until a `cd`, and to the working directory after it.
  std::string P(const std::string& rel) {
    if (rel.starts_with("tmp:")) {
      return Scratch() + "/" + rel.substr(4);
    }
    if (rel == "@" || rel.starts_with("@/")) {
      return root_ + rel.substr(1);
    }
    if (in_cwd_) {
      return rel;
    }
    return rel == "." ? root_ : root_ + "/" + rel;
  }
  // The scratch directory outside the mount, made on first use.
  const std::string& Scratch() {
    if (scratch_.empty()) {
      std::string templ = "/tmp/ext4fh-script-XXXXXX";
      if (mkdtemp(templ.data()) != nullptr) {
        scratch_ = templ;
      }
    }
    return scratch_;
  }
  void RemoveScratch() {
    if (scratch_.empty()) {
      return;
    }
    for (const std::string& name : List(scratch_, true)) {
      unlink((scratch_ + "/" + name).c_str());
    }
    rmdir(scratch_.c_str());
  }
  int Fd(const std::string& slot) const {
    auto it = fds_.find(slot);
    return it == fds_.end() ? -1 : it->second.fd;
  }
  static std::string Result(long rc) {
    return rc < 0 ? ErrName(errno) : "OK";
  }

  // The paths whose times a step may change: the ones it names, the
  // files behind its fds, and their parent directories.
  std::vector<std::string> Watched(const std::vector<std::string>& a) {
    static const std::map<std::string, std::vector<int>> kPathArgs = {
        {"mkdir", {1}}, {"rmdir", {1}}, {"unlink", {1}}, {"open", {2}},
        {"rename", {1, 2}}, {"link", {1, 2}}, {"symlink", {2}},
        {"chmod", {1}}, {"chown", {1}}, {"lchown", {1}}, {"truncate", {1}},
        {"utimens", {1}}, {"mknod", {1}}, {"setxattr", {1}},
        {"removexattr", {1}}, {"setacl", {1}}, {"setdefacl", {1}},
        {"setflags", {1}}, {"ls", {1}}, {"readlink", {1}}};
    static const std::map<std::string, std::vector<int>> kSlotArgs = {
        {"write", {1}}, {"pwrite", {1}}, {"read", {1}}, {"pread", {1}},
        {"fchmod", {1}}, {"ftruncate", {1}}, {"fallocate", {1}},
        {"copy", {1, 3}}, {"close", {1}}};
    std::vector<std::string> paths;
    auto add = [&](const std::string& rel) {
      paths.push_back(rel);
      size_t slash = rel.rfind('/');
      paths.push_back(slash == std::string::npos ? "." : rel.substr(0, slash));
    };
    if (auto it = kPathArgs.find(a[0]); it != kPathArgs.end()) {
      for (int i : it->second) {
        if (i < static_cast<int>(a.size())) add(a[i]);
      }
    }
    if (auto it = kSlotArgs.find(a[0]); it != kSlotArgs.end()) {
      for (int i : it->second) {
        auto f = i < static_cast<int>(a.size()) ? fds_.find(a[i]) : fds_.end();
        if (f != fds_.end()) add(f->second.path);
      }
    }
    std::sort(paths.begin(), paths.end());
    paths.erase(std::unique(paths.begin(), paths.end()), paths.end());
    return paths;
  }

  std::map<std::string, struct stat> Times(const std::vector<std::string>& paths) {
    std::map<std::string, struct stat> times;
    for (const std::string& p : paths) {
      struct stat st {};
      if (lstat(P(p).c_str(), &st) == 0) {
        times[p] = st;
      }
    }
    return times;
  }

  void ReportTimes(const std::vector<std::string>& paths,
                   const std::map<std::string, struct stat>& before) {
    std::map<std::string, struct stat> after = Times(paths);
    for (const auto& [p, b] : before) {
      auto it = after.find(p);
      if (it == after.end()) {
        continue;
      }
      auto moved = [](const timespec& x, const timespec& y) {
        return x.tv_sec != y.tv_sec || x.tv_nsec != y.tv_nsec;
      };
      std::string changed;
      changed += moved(b.st_atim, it->second.st_atim) ? "a" : "";
      changed += moved(b.st_mtim, it->second.st_mtim) ? "m" : "";
      changed += moved(b.st_ctim, it->second.st_ctim) ? "c" : "";
      if (!changed.empty()) {
        out_ << "   times " << p << ": " << changed << "\n";
      }
    }
  }

  std::string Stat(const std::string& path, bool follow) {
    struct stat st {};
    int rc = follow ? stat(P(path).c_str(), &st) : lstat(P(path).c_str(), &st);
    return rc < 0 ? ErrName(errno) : Describe(st);
  }

  std::string Tree(const std::string& rel) {
    std::string out;
    std::function<void(const std::string&)> walk = [&](const std::string& r) {
      struct stat st {};
      if (lstat(P(r).c_str(), &st) != 0) {
        return;
      }
      out += "\n   " + r + " " + Describe(st);
      if (S_ISLNK(st.st_mode)) {
        char buf[4096];
        ssize_t n = readlink(P(r).c_str(), buf, sizeof(buf));
        out += " -> " + std::string(buf, n > 0 ? n : 0);
      }
      char names[4096];
      ssize_t n = llistxattr(P(r).c_str(), names, sizeof(names));
      for (ssize_t off = 0; off < n; off += strlen(names + off) + 1) {
        out += std::string(" [") + (names + off) + "]";
      }
      if (S_ISREG(st.st_mode)) {
        int fd = open(P(r).c_str(), O_RDONLY | O_NONBLOCK);
        std::string data(static_cast<size_t>(std::min<off_t>(st.st_size, 1 << 20)), '\0');
        ssize_t got = fd >= 0 ? read(fd, data.data(), data.size()) : -1;
        data.resize(got > 0 ? got : 0);
        out += " " + Show(data);
        if (fd >= 0) close(fd);
      }
      if (S_ISDIR(st.st_mode)) {
        for (const std::string& name : List(r)) {
          walk(r == "." ? name : r + "/" + name);
        }
      }
    };
    walk(rel);
    return "OK" + out;
  }

  // The names in directory `rel` (or at path `rel` when `absolute`).
  std::vector<std::string> List(const std::string& rel, bool absolute = false) {
    std::vector<std::string> names;
    DIR* d = opendir(absolute ? rel.c_str() : P(rel).c_str());
    if (d == nullptr) {
      return names;
    }
    while (dirent* e = readdir(d)) {
      std::string name = e->d_name;
      if (name != "." && name != ".." && name != "lost+found") {
        names.push_back(name);
      }
    }
    closedir(d);
    std::sort(names.begin(), names.end());
    return names;
  }

  std::string Step(const std::vector<std::string>& a);
  std::string FileStep(const std::vector<std::string>& a);
  std::string XattrStep(const std::vector<std::string>& a);
  std::string DirStep(const std::vector<std::string>& a);
  std::string IoctlStep(const std::vector<std::string>& a);

  std::string root_;
  std::map<std::string, OpenFile> fds_;
  std::ostringstream out_;
  std::string scratch_;  // the "tmp:" directory, once made
  bool in_cwd_ = false;  // paths are relative to the working directory
  int saved_cwd_ = -1;   // the caller's working directory (O_PATH)
};

std::string Interpreter::Step(const std::vector<std::string>& a) {
  const std::string& op = a[0];
  if (op == "mkdir") return Result(mkdir(P(a[1]).c_str(), std::stoul(a[2], nullptr, 8)));
  if (op == "rmdir") return Result(rmdir(P(a[1]).c_str()));
  if (op == "unlink") return Result(unlink(P(a[1]).c_str()));
  if (op == "rename") {
    unsigned flags = a.size() < 4 ? 0
                     : a[3] == "noreplace" ? RENAME_NOREPLACE : RENAME_EXCHANGE;
    return Result(renameat2(AT_FDCWD, P(a[1]).c_str(), AT_FDCWD, P(a[2]).c_str(), flags));
  }
  if (op == "link") return Result(link(P(a[1]).c_str(), P(a[2]).c_str()));
  if (op == "symlink") return Result(symlink(Data(a[1]).c_str(), P(a[2]).c_str()));
  if (op == "readlink") {
    char buf[8192];
    ssize_t n = readlink(P(a[1]).c_str(), buf, sizeof(buf));
    return n < 0 ? ErrName(errno) : "OK " + Show(std::string(buf, n));
  }
  if (op == "chmod") return Result(chmod(P(a[1]).c_str(), std::stoul(a[2], nullptr, 8)));
  if (op == "chown") return Result(chown(P(a[1]).c_str(), std::stoi(a[2]), std::stoi(a[3])));
  if (op == "lchown") return Result(lchown(P(a[1]).c_str(), std::stoi(a[2]), std::stoi(a[3])));
  if (op == "truncate") return Result(truncate(P(a[1]).c_str(), std::stoll(a[2])));
  if (op == "utimens") {
    timespec ts[2] = {ParseTime(a[2]), ParseTime(a[3])};
    return Result(utimensat(AT_FDCWD, P(a[1]).c_str(), ts, AT_SYMLINK_NOFOLLOW));
  }
  if (op == "mknod") {
    mode_t type = a[2] == "fifo" ? S_IFIFO : a[2] == "sock" ? S_IFSOCK
                : a[2] == "chr" ? S_IFCHR : S_IFBLK;
    dev_t dev = a.size() > 5 ? makedev(std::stoul(a[4]), std::stoul(a[5])) : 0;
    return Result(mknod(P(a[1]).c_str(), type | std::stoul(a[3], nullptr, 8), dev));
  }
  if (op == "access") {
    int mode = 0;
    for (char c : a[2]) mode |= c == 'r' ? R_OK : c == 'w' ? W_OK : c == 'x' ? X_OK : 0;
    return Result(access(P(a[1]).c_str(), mode));
  }
  if (op == "stat") return Stat(a[1], true);
  if (op == "lstat") return Stat(a[1], false);
  if (op == "ls") {
    DIR* d = opendir(P(a[1]).c_str());
    if (d == nullptr) return ErrName(errno);
    closedir(d);
    std::string out = "OK";
    for (const std::string& n : List(a[1])) out += " " + n;
    return out;
  }
  if (op == "tree") return Tree(a[1]);
  if (op == "getflags" || op == "setflags") {
    int fd = open(P(a[1]).c_str(), O_RDONLY | O_NONBLOCK);
    if (fd < 0) return ErrName(errno);
    unsigned flags = 0;
    int rc = ioctl(fd, FS_IOC_GETFLAGS, &flags);
    if (rc == 0 && op == "setflags") {
      flags = (flags & ~(FS_APPEND_FL | FS_IMMUTABLE_FL | FS_NODUMP_FL |
                         FS_NOATIME_FL | FS_SYNC_FL)) | InodeFlags(a[2]);
      rc = ioctl(fd, FS_IOC_SETFLAGS, &flags);
    }
    int err = errno;
    close(fd);
    errno = err;
    return rc < 0 ? ErrName(errno) : op == "getflags" ? "OK " + FlagLetters(flags) : "OK";
  }
  if (op == "times") {
    struct stat st {};
    if (lstat(P(a[1]).c_str(), &st) < 0) return ErrName(errno);
    return "OK atime=" + TimeText(st.st_atim) +
           " mtime=" + TimeText(st.st_mtim);
  }
  if (op == "fitrim" || op == "ioctl") return IoctlStep(a);
  std::string dir = DirStep(a);
  if (!dir.empty()) return dir;
  std::string file = FileStep(a);
  return file.empty() ? XattrStep(a) : file;
}

std::string Interpreter::DirStep(const std::vector<std::string>& a) {
  const std::string& op = a[0];
  if (op == "cd") {
    if (saved_cwd_ < 0) {
      saved_cwd_ = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
    }
    int rc = chdir(P(a[1]).c_str());
    in_cwd_ = in_cwd_ || rc == 0;
    return Result(rc);
  }
  if (op == "getcwd") {
    // The syscall itself: glibc's getcwd() would walk ".." when it fails.
    std::string buf(2 * PATH_MAX, '\0');
    if (syscall(SYS_getcwd, buf.data(), buf.size()) < 0) return ErrName(errno);
    std::string cwd = buf.c_str();
    if (cwd == root_ || cwd.starts_with(root_ + "/")) {
      return "OK @" + cwd.substr(root_.size());
    }
    return "OK outside the root";
  }
  return "";
}

std::string Interpreter::IoctlStep(const std::vector<std::string>& a) {
  static const std::map<std::string, unsigned long> kIoctls = {
      {"getversion", FS_IOC_GETVERSION}, {"getversion32", FS_IOC32_GETVERSION},
      {"getflags32", FS_IOC32_GETFLAGS}, {"setflags32", FS_IOC32_SETFLAGS}};
  int fd = open(P(a[1]).c_str(), O_RDONLY | O_NONBLOCK);
  if (fd < 0) return ErrName(errno);
  auto number = [](const std::string& t) {
    return t == "max" ? UINT64_MAX : std::stoull(t);
  };
  int rc = 0;
  long value = a[0] == "ioctl" && a[2] == "setflags32" ? 0 : -1;
  if (a[0] == "fitrim") {
    fstrim_range range{number(a[2]), number(a[3]), number(a[4])};
    rc = ioctl(fd, FITRIM, &range);
  } else {
    rc = ioctl(fd, kIoctls.at(a[2]), &value);
  }
  int err = errno;
  close(fd);
  if (rc < 0) return ErrName(err);
  char hex[32];
  snprintf(hex, sizeof(hex), " %#lx", value);
  return a[0] == "fitrim" ? "OK" : "OK" + std::string(hex);
}

std::string Interpreter::FileStep(const std::vector<std::string>& a) {
  const std::string& op = a[0];
  if (op == "open") {
    mode_t mode = a.size() > 4 ? std::stoul(a[4], nullptr, 8) : 0644;
    int fd = open(P(a[2]).c_str(), OpenFlags(a[3]), mode);
    if (fd < 0) return ErrName(errno);
    fds_[a[1]] = OpenFile{fd, a[2]};
    return "OK";
  }
  if (op == "close") {
    int rc = close(Fd(a[1]));
    fds_.erase(a[1]);
    return Result(rc);
  }
  if (op == "write" || op == "pwrite") {
    std::string d = Data(a.back());
    ssize_t n = op == "write" ? write(Fd(a[1]), d.data(), d.size())
                              : pwrite(Fd(a[1]), d.data(), d.size(), std::stoll(a[2]));
    return n < 0 ? ErrName(errno) : "OK " + std::to_string(n);
  }
  if (op == "read" || op == "pread") {
    std::string buf(std::stoul(a.back()), '\0');
    ssize_t n = op == "read" ? read(Fd(a[1]), buf.data(), buf.size())
                             : pread(Fd(a[1]), buf.data(), buf.size(), std::stoll(a[2]));
    return n < 0 ? ErrName(errno) : "OK " + Show(buf.substr(0, n));
  }
  if (op == "fchmod") return Result(fchmod(Fd(a[1]), std::stoul(a[2], nullptr, 8)));
  if (op == "ftruncate") return Result(ftruncate(Fd(a[1]), std::stoll(a[2])));
  if (op == "fstat") {
    struct stat st {};
    return fstat(Fd(a[1]), &st) < 0 ? ErrName(errno) : Describe(st);
  }
  if (op == "fsync") return Result(fsync(Fd(a[1])));
  if (op == "fdatasync") return Result(fdatasync(Fd(a[1])));
  if (op == "fallocate") {
    return Result(fallocate(Fd(a[1]), FallocModes(a[2]), std::stoll(a[3]),
                            std::stoll(a[4])));
  }
  if (op == "lseek") {
    int whence = a[3] == "data" ? SEEK_DATA : a[3] == "hole" ? SEEK_HOLE
               : a[3] == "end" ? SEEK_END : SEEK_SET;
    off_t pos = lseek(Fd(a[1]), std::stoll(a[2]), whence);
    return pos < 0 ? ErrName(errno) : "OK " + std::to_string(pos);
  }
  if (op == "copy") {
    loff_t in = std::stoll(a[2]), out = std::stoll(a[4]);
    size_t len = a[5] == "max" ? SIZE_MAX : std::stoul(a[5]);
    ssize_t n = copy_file_range(Fd(a[1]), &in, Fd(a[3]), &out, len, 0);
    return n < 0 ? ErrName(errno) : "OK " + std::to_string(n);
  }
  return "";
}

std::string Interpreter::XattrStep(const std::vector<std::string>& a) {
  const std::string& op = a[0];
  if (op == "setxattr") {
    int flags = a.size() < 5 ? 0 : a[4] == "create" ? XATTR_CREATE : XATTR_REPLACE;
    std::string v = Data(a[3]);
    return Result(lsetxattr(P(a[1]).c_str(), Data(a[2]).c_str(), v.data(), v.size(), flags));
  }
  if (op == "getxattr") {
    std::string buf(70000, '\0');
    ssize_t n = lgetxattr(P(a[1]).c_str(), Data(a[2]).c_str(), buf.data(), buf.size());
    return n < 0 ? ErrName(errno) : "OK " + Show(buf.substr(0, n));
  }
  if (op == "removexattr") return Result(lremovexattr(P(a[1]).c_str(), Data(a[2]).c_str()));
  if (op == "listxattr") {
    char buf[65536];
    ssize_t n = llistxattr(P(a[1]).c_str(), buf, sizeof(buf));
    if (n < 0) return ErrName(errno);
    std::vector<std::string> names;
    for (ssize_t off = 0; off < n; off += strlen(buf + off) + 1) names.emplace_back(buf + off);
    std::sort(names.begin(), names.end());
    std::string out = "OK";
    for (const std::string& s : names) out += " " + s;
    return out;
  }
  if (op == "setacl" || op == "setdefacl") {
    std::string v = a[2] == "none" ? "" : AclValue(a[2]);
    const char* name = op == "setacl" ? "system.posix_acl_access" : "system.posix_acl_default";
    return Result(setxattr(P(a[1]).c_str(), name, v.data(), v.size(), 0));
  }
  if (op == "getacl") {
    std::string out;
    for (const char* name : {"system.posix_acl_access", "system.posix_acl_default"}) {
      char buf[4096];
      ssize_t n = getxattr(P(a[1]).c_str(), name, buf, sizeof(buf));
      out += n < 0 ? " " + ErrName(errno) : " " + AclText(std::string(buf, n));
    }
    return "OK" + out;
  }
  return "unknown op " + op;
}

}  // namespace

std::string RunScript(const std::string& root,
                      const std::vector<std::string>& steps) {
  return Interpreter(root).Run(steps);
}

}  // namespace ext4fh::testutil
