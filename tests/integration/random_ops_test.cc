// A randomized operation generator with fixed seeds: thousands of file and
// namespace operations on an ext4fh mount, each checked against an
// in-memory model (result, errno, data), with the whole tree compared to
// the model now and then, after an unmount and e2fsck, and after a new
// mount. It runs on each on-disk format ext4fh serves: ext4 (extents),
// ext4 with inline_data, ext3 and ext2 with 1 KiB blocks (block-mapped).
//
// Besides the namespace operations it writes (at random offsets, with
// O_APPEND, past 4 GiB, past the format's largest file), truncates up and
// down, runs the fallocate modes FUSE passes on, and keeps files open after
// their last name is gone. The image starts with short files (inline on
// the inline_data image, from mke2fs -d); short writes to new files make
// more inline files there, and longer ones move them to blocks.

#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/falloc.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <sstream>

#include "testutil/images.h"
#include "testutil/mounts.h"
#include "testutil/temp_dir.h"

namespace ext4fh {
namespace {

constexpr uint64_t kGiB = uint64_t{1} << 30;
constexpr uint64_t kTiB = uint64_t{1} << 40;

// A file's contents: its size and the bytes that may be non-zero, kept in
// 64 KiB chunks (a missing chunk reads as zeros), so that files with data
// past 4 GiB stay cheap to model and to check. Bytes at or past the size
// are always zero in the chunks.
class Content {
 public:
  static constexpr uint64_t kChunk = 64 << 10;

  uint64_t size() const { return size_; }

  void Write(uint64_t off, std::string_view data) {
    for (uint64_t done = 0; done < data.size();) {
      uint64_t pos = off + done;
      std::string& chunk = Chunk(pos / kChunk);
      uint64_t n = std::min<uint64_t>(data.size() - done, kChunk - pos % kChunk);
      std::memcpy(chunk.data() + pos % kChunk, data.data() + done, n);
      done += n;
    }
    size_ = std::max(size_, off + data.size());
  }

  // Zeroes [off, off+len) within the size.
  void Zero(uint64_t off, uint64_t len) {
    uint64_t end = std::min(off + len, size_);
    for (uint64_t pos = off; pos < end;) {
      uint64_t n = std::min(end - pos, kChunk - pos % kChunk);
      auto it = chunks_.find(pos / kChunk);
      if (it != chunks_.end()) {
        std::memset(it->second.data() + pos % kChunk, 0, n);
      }
      pos += n;
    }
  }

  void Resize(uint64_t size) {
    if (size < size_) {
      Zero(size, size_ - size);
      chunks_.erase(chunks_.lower_bound((size + kChunk - 1) / kChunk),
                    chunks_.end());
    }
    size_ = size;
  }

  // The bytes [off, off+len) clipped to the size.
  std::string Read(uint64_t off, uint64_t len) const {
    if (off >= size_) {
      return "";
    }
    std::string out(std::min(len, size_ - off), '\0');
    for (uint64_t done = 0; done < out.size();) {
      uint64_t pos = off + done;
      uint64_t n = std::min<uint64_t>(out.size() - done, kChunk - pos % kChunk);
      auto it = chunks_.find(pos / kChunk);
      if (it != chunks_.end()) {
        std::memcpy(out.data() + done, it->second.data() + pos % kChunk, n);
      }
      done += n;
    }
    return out;
  }

  // Offsets worth reading back: every chunk that may hold data, and a few
  // places in between.
  std::vector<uint64_t> Probes() const {
    std::vector<uint64_t> out;
    for (const auto& [index, chunk] : chunks_) {
      out.push_back(index * kChunk);
    }
    for (uint64_t p : {uint64_t{0}, size_ / 3, size_ / 2, size_ - std::min(size_, kChunk)}) {
      out.push_back(p / kChunk * kChunk);
    }
    return out;
  }

 private:
  std::string& Chunk(uint64_t index) {
    std::string& chunk = chunks_[index];
    chunk.resize(kChunk, '\0');
    return chunk;
  }

  uint64_t size_ = 0;
  std::map<uint64_t, std::string> chunks_;
};

struct Node {
  enum Kind { kFile, kDir, kLink } kind;
  mode_t mode = 0644;
  Content content;     // files
  std::string target;  // symlinks
  std::map<std::string, std::string> xattrs;
  std::vector<std::string> history;  // changes to the content, for failures

  void Did(const std::string& what) {
    history.push_back(what + " -> size " + std::to_string(content.size()));
  }
  std::string Recent() const {
    std::string out;
    for (size_t k = history.size() > 8 ? history.size() - 8 : 0; k < history.size(); ++k) {
      out += "\n    " + history[k];
    }
    return out;
  }
};
using NodePtr = std::shared_ptr<Node>;

NodePtr NewNode(Node::Kind kind, mode_t mode, std::string target = "") {
  auto n = std::make_shared<Node>();
  n->kind = kind;
  n->mode = mode;
  n->target = std::move(target);
  return n;
}

class Model {
 public:
  Model() { paths_["."] = NewNode(Node::kDir, 0755); }

  NodePtr Get(const std::string& p) const {
    auto it = paths_.find(p);
    return it == paths_.end() ? nullptr : it->second;
  }
  std::vector<std::string> Children(const std::string& dir) const {
    std::vector<std::string> out;
    std::string prefix = dir == "." ? "" : dir + "/";
    for (const auto& [p, n] : paths_) {
      if (p != "." && p.starts_with(prefix) &&
          p.find('/', prefix.size()) == std::string::npos) {
        out.push_back(p);
      }
    }
    return out;
  }
  int Links(const NodePtr& n) const {
    int count = 0;
    for (const auto& [p, m] : paths_) count += m == n;
    return count;
  }
  void Put(const std::string& p, NodePtr n) { paths_[p] = std::move(n); }
  void Erase(const std::string& p) { paths_.erase(p); }
  // Renames `from` and everything under it to `to`.
  void Move(const std::string& from, const std::string& to) {
    std::map<std::string, NodePtr> moved;
    for (auto it = paths_.begin(); it != paths_.end();) {
      if (it->first == from || it->first.starts_with(from + "/")) {
        moved[to + it->first.substr(from.size())] = it->second;
        it = paths_.erase(it);
      } else {
        ++it;
      }
    }
    paths_.insert(moved.begin(), moved.end());
  }
  std::vector<std::string> Paths(Node::Kind kind) const {
    std::vector<std::string> out;
    for (const auto& [p, n] : paths_) {
      if (n->kind == kind && p != ".") out.push_back(p);
    }
    return out;
  }
  const std::map<std::string, NodePtr>& all() const { return paths_; }

 private:
  std::map<std::string, NodePtr> paths_;
};

// What differs between the on-disk formats.
struct Format {
  std::string name;
  std::vector<std::string> mkfs_args;
  bool extents;            // fallocate modes beyond punch hole work
  uint64_t past_max_size;  // a write offset past the largest file (EFBIG)
  size_t xattr_value_max;  // five values of this size fit one xattr block
};

const Format kFormats[] = {
    {"ext4", {"-t", "ext4", "-b", "4096"}, true, 20 * kTiB, 600},
    {"ext4_inline",
     {"-t", "ext4", "-b", "4096", "-O", "inline_data,metadata_csum,64bit"},
     true, 20 * kTiB, 600},
    // Block-mapped, 4 KiB blocks, no huge_file: files end near 2 TiB.
    {"ext3", {"-t", "ext3", "-b", "4096"}, false, 4 * kTiB, 600},
    // Block-mapped, 1 KiB blocks: files end near 16 GiB.
    {"ext2_1k", {"-t", "ext2", "-b", "1024", "-I", "256"}, false, kTiB, 150},
};

// A file kept open after its name may have gone.
struct OpenFile {
  int fd;
  NodePtr node;
};

class Generator {
 public:
  Generator(std::string root, const Format& format, uint64_t seed)
      : root_(std::move(root)), format_(format), rng_(seed) {}
  ~Generator() { CloseAll(); }

  // Writes the files the image starts with into `dir` (for mke2fs -d) and
  // into the model: short ones, which mke2fs stores inline where the
  // filesystem has inline_data, and a few longer ones.
  void Seed(const std::string& dir);
  // Runs one random operation; returns a description of a mismatch, or "".
  std::string Step(int i);
  // Compares the whole tree, and the files held open, with the model; ""
  // when they match.
  std::string Verify() const;
  // Closes the files held open (their inodes are then freed).
  void CloseAll();
  // How many times each operation ran (operation -> count).
  const std::map<std::string, int>& counts() const { return counts_; }

 private:
  std::string P(const std::string& rel) const { return root_ + "/" + rel; }
  uint64_t R(uint64_t n) { return rng_() % n; }
  template <typename T>
  const T& Pick(const std::vector<T>& v) { return v[R(v.size())]; }
  std::string NewName(const std::string& dir) {
    std::string name = "n" + std::to_string(R(60));
    return dir == "." ? name : dir + "/" + name;
  }
  std::string AnyDir() {
    auto dirs = model_.Paths(Node::kDir);
    dirs.push_back(".");
    return Pick(dirs);
  }
  std::string Data(uint64_t len) {
    std::string data(len, static_cast<char>('A' + R(26)));
    for (size_t k = 0; k < data.size(); k += 97) data[k] = static_cast<char>(R(256));
    return data;
  }
  static std::string Expect(const char* op, int rc, int want_err) {
    int err = rc < 0 ? errno : 0;
    if (err != want_err) {
      return std::string(op) + ": got " + std::to_string(err) + " want " +
             std::to_string(want_err);
    }
    return "";
  }
  std::string CheckFd(int fd, const NodePtr& n, const std::string& what) const;
  std::string WriteAt(const std::string& p, uint64_t off, uint64_t len);
  std::string Create();
  std::string Write();
  std::string SmallWrite();
  std::string AppendWrite();
  std::string FarWrite();
  std::string Truncate();
  std::string Fallocate();
  std::string MakeDir();
  std::string RemoveDir();
  std::string Unlink();
  std::string Rename();
  std::string Link();
  std::string Symlink();
  std::string Xattr();
  std::string Chmod();
  std::string OpenUnlinked();

  std::string root_;
  const Format& format_;
  std::mt19937_64 rng_;
  Model model_;
  std::vector<OpenFile> open_;
  std::map<std::string, int> counts_;
};

std::string Generator::Step(int i) {
  static const char* const kNames[] = {
      "create", "write",    "write",  "truncate", "mkdir",  "rmdir",
      "unlink", "rename",   "link",   "symlink/xattr",      "chmod",
      "fallocate", "append", "far-write", "open-unlinked", "small-write"};
  uint64_t op = R(16);
  ++counts_[kNames[op]];
  switch (op) {
    case 0: return Create();
    case 1: case 2: return Write();
    case 3: return Truncate();
    case 4: return MakeDir();
    case 5: return RemoveDir();
    case 6: return Unlink();
    case 7: return Rename();
    case 8: return Link();
    case 9: return i % 2 ? Symlink() : Xattr();
    case 10: return Chmod();
    case 11: return Fallocate();
    case 12: return AppendWrite();
    case 13: return FarWrite();
    case 14: return OpenUnlinked();
    default: return SmallWrite();
  }
}

void Generator::Seed(const std::string& dir) {
  for (uint64_t size : {0, 1, 14, 59, 60, 61, 100, 128, 129, 3000, 70000}) {
    std::string name = "seed" + std::to_string(size);
    std::string data = Data(size);
    int fd = open((dir + "/" + name).c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ASSERT_GE(fd, 0) << name;
    ASSERT_EQ(write(fd, data.data(), data.size()), static_cast<ssize_t>(size));
    fchmod(fd, 0644);
    close(fd);
    NodePtr n = NewNode(Node::kFile, 0644);
    n->content.Write(0, data);
    model_.Put(name, n);
  }
}

std::string Generator::Create() {
  std::string p = NewName(AnyDir());
  int fd = open(P(p).c_str(), O_WRONLY | O_CREAT | O_EXCL, 0644);
  std::string e = Expect("create", fd, model_.Get(p) ? EEXIST : 0);
  if (fd >= 0) {
    close(fd);
    model_.Put(p, NewNode(Node::kFile, 0644));
  }
  return e.empty() ? e : e + " " + p;
}

std::string Generator::WriteAt(const std::string& p, uint64_t off,
                               uint64_t len) {
  NodePtr n = model_.Get(p);
  std::string data = Data(len);
  int fd = open(P(p).c_str(), O_WRONLY);
  if (fd < 0) return "open for write " + p + ": " + std::to_string(errno);
  ssize_t w = pwrite(fd, data.data(), data.size(), static_cast<off_t>(off));
  int err = errno;
  close(fd);
  if (w != static_cast<ssize_t>(data.size())) {
    return "pwrite " + p + " at " + std::to_string(off) + ": " + std::to_string(err);
  }
  n->content.Write(off, data);
  n->Did("pwrite " + std::to_string(off) + "+" + std::to_string(len));
  return "";
}

std::string Generator::Write() {
  auto files = model_.Paths(Node::kFile);
  if (files.empty()) return "";
  const std::string& p = Pick(files);
  uint64_t off = R(3) == 0 ? model_.Get(p)->content.size() : R(300000);
  return WriteAt(p, off, 1 + R(70000));
}

// A few bytes near the start: new files stay small (inline where the
// filesystem has inline_data) until a longer write or a fallocate.
std::string Generator::SmallWrite() {
  auto files = model_.Paths(Node::kFile);
  if (files.empty()) return "";
  const std::string& p = Pick(files);
  return WriteAt(p, R(150), 1 + R(R(4) ? 60 : 300));
}

std::string Generator::AppendWrite() {
  auto files = model_.Paths(Node::kFile);
  if (files.empty()) return "";
  const std::string& p = Pick(files);
  NodePtr n = model_.Get(p);
  int fd = open(P(p).c_str(), O_WRONLY | O_APPEND);
  if (fd < 0) return "open O_APPEND " + p + ": " + std::to_string(errno);
  std::string e;
  for (int k = 0, count = 1 + static_cast<int>(R(3)); k < count && e.empty(); ++k) {
    std::string data = Data(1 + R(R(2) ? 100 : 9000));
    if (write(fd, data.data(), data.size()) != static_cast<ssize_t>(data.size())) {
      e = "append " + p + ": " + std::to_string(errno);
    } else {
      n->content.Write(n->content.size(), data);
      n->Did("append " + std::to_string(data.size()));
    }
  }
  close(fd);
  return e;
}

// Past 4 GiB (every format here has room for that), or past the format's
// largest file, which must fail with EFBIG and change nothing.
std::string Generator::FarWrite() {
  auto files = model_.Paths(Node::kFile);
  if (files.empty()) return "";
  const std::string& p = Pick(files);
  if (R(4) != 0) {
    return WriteAt(p, 4 * kGiB + R(kGiB), 1 + R(5000));
  }
  int fd = open(P(p).c_str(), O_WRONLY);
  if (fd < 0) return "open for write " + p + ": " + std::to_string(errno);
  char byte = 'x';
  ssize_t w = pwrite(fd, &byte, 1, static_cast<off_t>(format_.past_max_size));
  std::string e = Expect("pwrite past the largest file", w < 0 ? -1 : 0, EFBIG);
  close(fd);
  return e.empty() ? e : e + " " + p;
}

std::string Generator::Truncate() {
  auto files = model_.Paths(Node::kFile);
  if (files.empty()) return "";
  const std::string& p = Pick(files);
  uint64_t size = R(5) == 0 ? R(200) : R(400000);
  if (truncate(P(p).c_str(), static_cast<off_t>(size)) != 0) {
    return "truncate " + p + ": " + std::to_string(errno);
  }
  model_.Get(p)->content.Resize(size);
  model_.Get(p)->Did("truncate " + std::to_string(size));
  return "";
}

// The modes FUSE passes on. Block-mapped files support only punch hole,
// as with the kernel's ext4 (EOPNOTSUPP for the others).
std::string Generator::Fallocate() {
  auto files = model_.Paths(Node::kFile);
  if (files.empty()) return "";
  const std::string& p = Pick(files);
  NodePtr n = model_.Get(p);
  static const int kModes[] = {0, FALLOC_FL_KEEP_SIZE,
                               FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
                               FALLOC_FL_ZERO_RANGE,
                               FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE};
  int mode = kModes[R(5)];
  uint64_t off = R(4) == 0 ? R(300) : R(300000);
  uint64_t len = 1 + R(R(2) ? 500 : 70000);
  bool punch = mode & FALLOC_FL_PUNCH_HOLE;
  int fd = open(P(p).c_str(), O_WRONLY);
  if (fd < 0) return "open for fallocate " + p + ": " + std::to_string(errno);
  int rc = fallocate(fd, mode, static_cast<off_t>(off), static_cast<off_t>(len));
  std::string e = Expect("fallocate", rc, format_.extents || punch ? 0 : EOPNOTSUPP);
  close(fd);
  if (rc == 0) {
    if (mode & (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_ZERO_RANGE)) {
      n->content.Zero(off, len);
    }
    if (!(mode & FALLOC_FL_KEEP_SIZE) && n->content.size() < off + len) {
      n->content.Resize(off + len);
    }
    n->Did("fallocate mode " + std::to_string(mode) + " " + std::to_string(off) +
           "+" + std::to_string(len));
  }
  return e.empty() ? e : e + " mode " + std::to_string(mode) + " " + p;
}

std::string Generator::MakeDir() {
  std::string p = NewName(AnyDir());
  int rc = mkdir(P(p).c_str(), 0755);
  std::string e = Expect("mkdir", rc, model_.Get(p) ? EEXIST : 0);
  if (rc == 0) model_.Put(p, NewNode(Node::kDir, 0755));
  return e.empty() ? e : e + " " + p;
}

std::string Generator::RemoveDir() {
  auto dirs = model_.Paths(Node::kDir);
  if (dirs.empty()) return "";
  const std::string& p = Pick(dirs);
  int rc = rmdir(P(p).c_str());
  std::string e = Expect("rmdir", rc, model_.Children(p).empty() ? 0 : ENOTEMPTY);
  if (rc == 0) model_.Erase(p);
  return e.empty() ? e : e + " " + p;
}

std::string Generator::Unlink() {
  auto files = model_.Paths(R(4) ? Node::kFile : Node::kLink);
  if (files.empty()) return "";
  const std::string& p = Pick(files);
  int rc = unlink(P(p).c_str());
  if (rc == 0) model_.Erase(p);
  return Expect("unlink", rc, 0);
}

std::string Generator::Rename() {
  std::vector<std::string> all;
  for (const auto& [p, n] : model_.all()) if (p != ".") all.push_back(p);
  if (all.empty()) return "";
  std::string from = Pick(all);
  std::string to = NewName(AnyDir());
  NodePtr src = model_.Get(from), dst = model_.Get(to);
  int want = 0;
  if (to == from || to.starts_with(from + "/")) {
    want = to == from ? 0 : EINVAL;
  } else if (from.starts_with(to + "/")) {
    want = ENOTEMPTY;  // onto an ancestor: the VFS's lock_rename trap
  } else if (dst && src->kind == Node::kDir && dst->kind != Node::kDir) {
    want = ENOTDIR;
  } else if (dst && src->kind != Node::kDir && dst->kind == Node::kDir) {
    want = EISDIR;
  } else if (dst && dst->kind == Node::kDir && !model_.Children(to).empty()) {
    want = ENOTEMPTY;
  }
  int rc = rename(P(from).c_str(), P(to).c_str());
  std::string e = Expect("rename", rc, want);
  if (rc == 0 && to != from && src != dst) {
    if (dst) model_.Erase(to);
    model_.Move(from, to);
  }
  return e.empty() ? e : e + " " + from + " -> " + to;
}

std::string Generator::Link() {
  auto files = model_.Paths(Node::kFile);
  if (files.empty()) return "";
  const std::string& from = Pick(files);
  std::string to = NewName(AnyDir());
  int rc = link(P(from).c_str(), P(to).c_str());
  std::string e = Expect("link", rc, model_.Get(to) ? EEXIST : 0);
  if (rc == 0) model_.Put(to, model_.Get(from));
  return e;
}

std::string Generator::Symlink() {
  std::string p = NewName(AnyDir());
  std::string target(1 + R(R(2) ? 40 : 900), static_cast<char>('a' + R(26)));
  int rc = symlink(target.c_str(), P(p).c_str());
  std::string e = Expect("symlink", rc, model_.Get(p) ? EEXIST : 0);
  if (rc == 0) model_.Put(p, NewNode(Node::kLink, 0777, target));
  return e;
}

std::string Generator::Xattr() {
  auto files = model_.Paths(Node::kFile);
  if (files.empty()) return "";
  const std::string& p = Pick(files);
  NodePtr n = model_.Get(p);
  std::string name = "user.k" + std::to_string(R(5));
  if (R(3) == 0) {
    int rc = removexattr(P(p).c_str(), name.c_str());
    std::string e = Expect("removexattr", rc, n->xattrs.count(name) ? 0 : ENODATA);
    n->xattrs.erase(name);
    return e;
  }
  std::string value(R(format_.xattr_value_max), static_cast<char>('0' + R(10)));
  if (setxattr(P(p).c_str(), name.c_str(), value.data(), value.size(), 0) != 0) {
    return "setxattr " + p + ": " + std::to_string(errno);
  }
  n->xattrs[name] = value;
  return "";
}

std::string Generator::Chmod() {
  auto files = model_.Paths(Node::kFile);
  if (files.empty()) return "";
  const std::string& p = Pick(files);
  mode_t mode = 0600 | (R(0100) & 0077);
  if (chmod(P(p).c_str(), mode) != 0) return "chmod " + p;
  model_.Get(p)->mode = mode;
  return "";
}

// Opens a file and removes its name (it lives on as an orphan while
// open), or works on a file opened so before: writes, truncates and
// checks it through the descriptor, or closes it.
std::string Generator::OpenUnlinked() {
  if (!open_.empty() && (open_.size() >= 3 || R(2))) {
    size_t k = R(open_.size());
    OpenFile& f = open_[k];
    switch (R(4)) {
      case 0: {
        close(f.fd);
        open_.erase(open_.begin() + static_cast<long>(k));
        return "";
      }
      case 1: {
        uint64_t off = R(100000);
        std::string data = Data(1 + R(R(2) ? 100 : 20000));
        if (pwrite(f.fd, data.data(), data.size(), static_cast<off_t>(off)) !=
            static_cast<ssize_t>(data.size())) {
          return "pwrite to an unlinked file: " + std::to_string(errno);
        }
        f.node->content.Write(off, data);
        f.node->Did("pwrite (unlinked) " + std::to_string(off) + "+" +
                    std::to_string(data.size()));
        return CheckFd(f.fd, f.node, "unlinked file after pwrite");
      }
      case 2: {
        uint64_t size = R(150000);
        if (ftruncate(f.fd, static_cast<off_t>(size)) != 0) {
          return "ftruncate an unlinked file: " + std::to_string(errno);
        }
        f.node->content.Resize(size);
        f.node->Did("ftruncate (unlinked) " + std::to_string(size));
        return "";
      }
      default:
        return CheckFd(f.fd, f.node, "unlinked file");
    }
  }
  auto files = model_.Paths(Node::kFile);
  if (files.empty()) return "";
  const std::string& p = Pick(files);
  NodePtr n = model_.Get(p);
  int fd = open(P(p).c_str(), O_RDWR);
  if (fd < 0) return "open " + p + ": " + std::to_string(errno);
  if (unlink(P(p).c_str()) != 0) {
    close(fd);
    return "unlink open " + p + ": " + std::to_string(errno);
  }
  model_.Erase(p);
  open_.push_back({fd, n});
  return "";
}

void Generator::CloseAll() {
  for (const OpenFile& f : open_) {
    close(f.fd);
  }
  open_.clear();
}

// Compares what `fd` reads (size, link count, bytes) with node `n`.
std::string Generator::CheckFd(int fd, const NodePtr& n,
                               const std::string& what) const {
  struct stat st {};
  if (fstat(fd, &st) != 0) return what + ": fstat " + std::to_string(errno);
  if (static_cast<uint64_t>(st.st_size) != n->content.size()) {
    return what + ": size " + std::to_string(st.st_size) + " want " +
           std::to_string(n->content.size());
  }
  if (static_cast<int>(st.st_nlink) != model_.Links(n)) {
    return what + ": nlink " + std::to_string(st.st_nlink) + " want " +
           std::to_string(model_.Links(n));
  }
  std::vector<uint64_t> offsets;
  if (n->content.size() <= (1 << 20)) {
    offsets.push_back(0);
  } else {
    offsets = n->content.Probes();
  }
  const uint64_t len = n->content.size() <= (1 << 20) ? (1 << 20) + 1 : Content::kChunk;
  std::string buf(len, '\0');
  for (uint64_t off : offsets) {
    ssize_t got = pread(fd, buf.data(), buf.size(), static_cast<off_t>(off));
    std::string want = n->content.Read(off, len);
    if (got != static_cast<ssize_t>(want.size()) ||
        std::memcmp(buf.data(), want.data(), want.size()) != 0) {
      size_t at = 0;
      while (at < want.size() && buf[at] == want[at]) ++at;
      return what + ": content at " + std::to_string(off) + " differs from byte " +
             std::to_string(off + at) + " (read " + std::to_string(got) + ")" +
             n->Recent();
    }
  }
  return "";
}

std::string Generator::Verify() const {
  std::ostringstream out;
  std::set<std::string> seen;
  std::function<void(const std::string&)> walk = [&](const std::string& rel) {
    DIR* d = opendir(P(rel).c_str());
    if (!d) { out << "cannot list " << rel << "\n"; return; }
    std::vector<std::string> names;
    while (dirent* e = readdir(d)) {
      std::string n = e->d_name;
      if (n != "." && n != ".." && n != "lost+found") names.push_back(n);
    }
    closedir(d);
    for (const std::string& n : names) {
      std::string p = rel == "." ? n : rel + "/" + n;
      seen.insert(p);
      NodePtr m = model_.Get(p);
      struct stat st {};
      lstat(P(p).c_str(), &st);
      if (!m) { out << "extra " << p << "\n"; continue; }
      if (m->kind == Node::kDir) {
        if (!S_ISDIR(st.st_mode)) out << "not a dir " << p << "\n";
        walk(p);
      } else if (m->kind == Node::kLink) {
        char buf[4096];
        ssize_t len = readlink(P(p).c_str(), buf, sizeof(buf));
        if (len < 0 || std::string(buf, len) != m->target) out << "target " << p << "\n";
      } else {
        int fd = open(P(p).c_str(), O_RDONLY);
        if (fd < 0) { out << "cannot open " << p << "\n"; continue; }
        std::string e = CheckFd(fd, m, p);
        close(fd);
        if (!e.empty()) out << e << "\n";
        if ((st.st_mode & 07777) != m->mode) out << "mode " << p << "\n";
        for (const auto& [name, value] : m->xattrs) {
          char buf[4096];
          ssize_t len = getxattr(P(p).c_str(), name.c_str(), buf, sizeof(buf));
          if (len < 0 || std::string(buf, len) != value) out << "xattr " << p << "\n";
        }
      }
    }
  };
  walk(".");
  for (const auto& [p, n] : model_.all()) {
    if (p != "." && !seen.count(p)) out << "missing " << p << "\n";
  }
  for (const OpenFile& f : open_) {
    std::string e = CheckFd(f.fd, f.node, "open file");
    if (!e.empty()) out << e << "\n";
  }
  return out.str();
}

// Steps between whole-tree checks; RANDOM_OPS_VERIFY_EVERY=1 finds the
// step that broke something.
int VerifyEvery() {
  const char* env = getenv("RANDOM_OPS_VERIFY_EVERY");
  return env ? std::max(1, std::atoi(env)) : 500;
}

// (format index into kFormats, seed)
using RandomOpsParam = std::tuple<size_t, uint64_t>;
class RandomOpsTest : public ::testing::TestWithParam<RandomOpsParam> {};

TEST_P(RandomOpsTest, MatchesTheModelAcrossRemounts) {
  if (!testutil::FuseAvailable()) {
    GTEST_SKIP() << "needs /dev/fuse";
  }
  const Format& format = kFormats[std::get<0>(GetParam())];
  testutil::TempDir dir;
  std::string mnt = dir.Join("mnt");
  mkdir(mnt.c_str(), 0755);
  Generator gen(mnt, format, std::get<1>(GetParam()));
  std::string seed = dir.Join("seed");
  mkdir(seed.c_str(), 0755);
  gen.Seed(seed);
  ASSERT_FALSE(HasFatalFailure());
  std::string image = dir.Join("fs.img");
  testutil::MakeFs(image, format.mkfs_args, seed, "256M");
  std::string error;
  auto fuse = testutil::Ext4fhMount::Start(image, mnt, {}, &error);
  ASSERT_NE(fuse, nullptr) << error;
  for (int i = 0; i < 2000; ++i) {
    std::string mismatch = gen.Step(i);
    ASSERT_EQ(mismatch, "") << "step " << i;
    if (i % VerifyEvery() == VerifyEvery() - 1) {
      ASSERT_EQ(gen.Verify(), "") << "after step " << i;
    }
  }
  for (const auto& [op, count] : gen.counts()) {
    EXPECT_GT(count, 50) << op;  // every operation ran
  }
  gen.CloseAll();
  ASSERT_EQ(fuse->Unmount(), 0);
  testutil::CommandResult fsck = testutil::Fsck(image);
  ASSERT_EQ(fsck.exit_code, 0) << fsck.out;
  fuse = testutil::Ext4fhMount::Start(image, mnt, {}, &error);
  ASSERT_NE(fuse, nullptr) << error;
  EXPECT_EQ(gen.Verify(), "") << "after remount";
  EXPECT_EQ(fuse->Unmount(), 0);
}

std::string ParamName(const ::testing::TestParamInfo<RandomOpsParam>& info) {
  return kFormats[std::get<0>(info.param)].name + "_seed" +
         std::to_string(std::get<1>(info.param));
}

// ext4 keeps its three original seeds; the other formats get two each,
// which keeps the whole suite near 40 s.
INSTANTIATE_TEST_SUITE_P(Ext4, RandomOpsTest,
                         ::testing::Combine(::testing::Values(size_t{0}),
                                            ::testing::Values(11, 22, 33)),
                         ParamName);
INSTANTIATE_TEST_SUITE_P(OtherFormats, RandomOpsTest,
                         ::testing::Combine(::testing::Values(size_t{1}, size_t{2},
                                                              size_t{3}),
                                            ::testing::Values(44, 55)),
                         ParamName);

// RANDOM_OPS_SOAK=N runs N more seeds on every format (not in CI).
uint64_t SoakSeeds() {
  const char* env = getenv("RANDOM_OPS_SOAK");
  return env ? std::strtoull(env, nullptr, 10) : 0;
}
INSTANTIATE_TEST_SUITE_P(
    Soak, RandomOpsTest,
    ::testing::Combine(::testing::Range(size_t{0}, std::size(kFormats)),
                       ::testing::Range(uint64_t{1000}, uint64_t{1000} + SoakSeeds())),
    ParamName);

}  // namespace
}  // namespace ext4fh
