#include "testutil/tree.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <sstream>
#include <vector>

namespace ext4fh::testutil {
namespace {

uint64_t HashFile(const std::string& path) {
  uint64_t h = 1469598103934665603ULL;  // FNV-1a 64
  int fd = open(path.c_str(), O_RDONLY);
  if (fd < 0) {
    return 0;
  }
  std::vector<unsigned char> buf(1 << 20);
  ssize_t n;
  while ((n = read(fd, buf.data(), buf.size())) > 0) {
    for (ssize_t i = 0; i < n; ++i) {
      h = (h ^ buf[i]) * 1099511628211ULL;
    }
  }
  close(fd);
  return n < 0 ? 0 : h;
}

std::map<std::string, std::string> Xattrs(const std::string& path) {
  std::map<std::string, std::string> out;
  std::vector<char> names(65536);
  ssize_t n = llistxattr(path.c_str(), names.data(), names.size());
  for (ssize_t off = 0; off < n;) {
    std::string name(names.data() + off);
    off += static_cast<ssize_t>(name.size()) + 1;
    std::vector<char> value(65536);
    ssize_t len = lgetxattr(path.c_str(), name.c_str(), value.data(), value.size());
    out[name] = len >= 0 ? std::string(value.data(), static_cast<size_t>(len))
                         : "<error " + std::to_string(errno) + ">";
  }
  return out;
}

TreeEntry Describe(const std::string& path, const struct stat& st,
                   bool with_content) {
  TreeEntry e;
  e.mode = st.st_mode;
  e.uid = st.st_uid;
  e.gid = st.st_gid;
  e.size = static_cast<uint64_t>(st.st_size);
  e.nlink = st.st_nlink;
  e.ino = st.st_ino;
  e.rdev = st.st_rdev;
  e.blocks = static_cast<uint64_t>(st.st_blocks);
  e.atime = st.st_atim;
  e.mtime = st.st_mtim;
  e.ctime = st.st_ctim;
  e.xattrs = Xattrs(path);
  if (S_ISLNK(st.st_mode)) {
    std::vector<char> buf(8192);
    ssize_t n = readlink(path.c_str(), buf.data(), buf.size());
    e.target = n >= 0 ? std::string(buf.data(), static_cast<size_t>(n)) : "";
  } else if (S_ISREG(st.st_mode) && with_content) {
    e.content_hash = HashFile(path);
  }
  return e;
}

void Walk(const std::string& root, const std::string& rel, bool with_content,
          Tree& tree) {
  std::string path = rel.empty() ? root : root + "/" + rel;
  struct stat st {};
  if (lstat(path.c_str(), &st) != 0) {
    return;
  }
  tree[rel] = Describe(path, st, with_content);
  if (!S_ISDIR(st.st_mode)) {
    return;
  }
  DIR* dir = opendir(path.c_str());
  if (dir == nullptr) {
    return;
  }
  std::vector<dirent> entries;
  while (dirent* d = readdir(dir)) {
    std::string name = d->d_name;
    if (name != "." && name != "..") {
      entries.push_back(*d);
    }
  }
  closedir(dir);
  for (const dirent& d : entries) {
    std::string child = rel.empty() ? d.d_name : rel + "/" + d.d_name;
    Walk(root, child, with_content, tree);
    if (auto it = tree.find(child); it != tree.end()) {
      it->second.d_ino = d.d_ino;
      it->second.d_type = d.d_type;
    }
  }
}

std::string Ts(const timespec& t) {
  return std::to_string(t.tv_sec) + "." + std::to_string(t.tv_nsec);
}

void Field(std::ostringstream& out, const std::string& path, const char* name,
           const std::string& a, const std::string& b) {
  if (a != b) {
    out << path << ": " << name << " " << a << " != " << b << "\n";
  }
}

void DiffEntry(std::ostringstream& out, const std::string& p,
               const TreeEntry& a, const TreeEntry& b) {
  using std::to_string;
  Field(out, p, "mode", to_string(a.mode), to_string(b.mode));
  Field(out, p, "uid", to_string(a.uid), to_string(b.uid));
  Field(out, p, "gid", to_string(a.gid), to_string(b.gid));
  Field(out, p, "size", to_string(a.size), to_string(b.size));
  Field(out, p, "nlink", to_string(a.nlink), to_string(b.nlink));
  Field(out, p, "ino", to_string(a.ino), to_string(b.ino));
  Field(out, p, "d_ino", to_string(a.d_ino), to_string(b.d_ino));
  if (!p.empty()) {  // the root has no entry of its own
    Field(out, p, "st_ino vs d_ino", to_string(b.ino), to_string(b.d_ino));
  }
  Field(out, p, "d_type", to_string(a.d_type), to_string(b.d_type));
  Field(out, p, "rdev", to_string(a.rdev), to_string(b.rdev));
  Field(out, p, "blocks", to_string(a.blocks), to_string(b.blocks));
  Field(out, p, "atime", Ts(a.atime), Ts(b.atime));
  Field(out, p, "mtime", Ts(a.mtime), Ts(b.mtime));
  Field(out, p, "ctime", Ts(a.ctime), Ts(b.ctime));
  Field(out, p, "target", a.target, b.target);
  Field(out, p, "content", to_string(a.content_hash), to_string(b.content_hash));
  for (const auto& [name, value] : a.xattrs) {
    auto it = b.xattrs.find(name);
    Field(out, p, ("xattr " + name).c_str(), value,
          it == b.xattrs.end() ? "<missing>" : it->second);
  }
  for (const auto& [name, value] : b.xattrs) {
    if (!a.xattrs.count(name)) {
      Field(out, p, ("xattr " + name).c_str(), "<missing>", value);
    }
  }
}

}  // namespace

Tree WalkTree(const std::string& root, bool with_content) {
  Tree tree;
  Walk(root, "", with_content, tree);
  return tree;
}

std::string DiffTrees(const Tree& a, const Tree& b) {
  std::ostringstream out;
  for (const auto& [path, entry] : a) {
    auto it = b.find(path);
    if (it == b.end()) {
      out << path << ": only in the first tree\n";
    } else {
      DiffEntry(out, path, entry, it->second);
    }
  }
  for (const auto& [path, entry] : b) {
    if (!a.count(path)) {
      out << path << ": only in the second tree\n";
    }
  }
  return out.str();
}

}  // namespace ext4fh::testutil
