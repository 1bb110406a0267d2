// A randomized operation generator with fixed seeds: thousands of file and
// namespace operations on an ext4fh mount, each checked against an
// in-memory model (result, errno, data), with the whole tree compared to
// the model now and then, after an unmount and e2fsck, and after a new
// mount.

#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

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

struct Node {
  enum Kind { kFile, kDir, kLink } kind;
  std::string data;    // file contents or symlink target
  mode_t mode = 0644;
  std::map<std::string, std::string> xattrs;
};
using NodePtr = std::shared_ptr<Node>;

class Model {
 public:
  Model() { paths_["."] = std::make_shared<Node>(Node{Node::kDir, "", 0755, {}}); }

  NodePtr Get(const std::string& p) const {
    auto it = paths_.find(p);
    return it == paths_.end() ? nullptr : it->second;
  }
  static std::string Parent(const std::string& p) {
    size_t s = p.rfind('/');
    return s == std::string::npos ? "." : p.substr(0, s);
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

class Generator {
 public:
  Generator(std::string root, uint64_t seed) : root_(std::move(root)), rng_(seed) {}

  // Runs one random operation; returns a description of a mismatch, or "".
  std::string Step(int i);
  // Compares the whole tree with the model; "" when they match.
  std::string Verify() const;

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
  static std::string Expect(const char* op, int rc, int want_err) {
    int err = rc < 0 ? errno : 0;
    if (err != want_err) {
      return std::string(op) + ": got " + std::to_string(err) + " want " +
             std::to_string(want_err);
    }
    return "";
  }
  std::string Create();
  std::string Write();
  std::string Truncate();
  std::string MakeDir();
  std::string RemoveDir();
  std::string Unlink();
  std::string Rename();
  std::string Link();
  std::string Symlink();
  std::string Xattr();
  std::string Chmod();

  std::string root_;
  std::mt19937_64 rng_;
  Model model_;
};

std::string Generator::Step(int i) {
  switch (R(11)) {
    case 0: return Create();
    case 1: case 2: return Write();
    case 3: return Truncate();
    case 4: return MakeDir();
    case 5: return RemoveDir();
    case 6: return Unlink();
    case 7: return Rename();
    case 8: return Link();
    case 9: return i % 2 ? Symlink() : Xattr();
    default: return Chmod();
  }
}

std::string Generator::Create() {
  std::string p = NewName(AnyDir());
  int fd = open(P(p).c_str(), O_WRONLY | O_CREAT | O_EXCL, 0644);
  std::string e = Expect("create", fd, model_.Get(p) ? EEXIST : 0);
  if (fd >= 0) {
    close(fd);
    model_.Put(p, std::make_shared<Node>(Node{Node::kFile, "", 0644, {}}));
  }
  return e.empty() ? e : e + " " + p;
}

std::string Generator::Write() {
  auto files = model_.Paths(Node::kFile);
  if (files.empty()) return "";
  const std::string& p = Pick(files);
  NodePtr n = model_.Get(p);
  uint64_t off = R(3) == 0 ? n->data.size() : R(300000);
  std::string data(1 + R(70000), static_cast<char>('A' + R(26)));
  for (size_t k = 0; k < data.size(); k += 97) data[k] = static_cast<char>(R(256));
  int fd = open(P(p).c_str(), O_WRONLY);
  if (fd < 0) return "open for write " + p + ": " + std::to_string(errno);
  ssize_t w = pwrite(fd, data.data(), data.size(), static_cast<off_t>(off));
  close(fd);
  if (w != static_cast<ssize_t>(data.size())) return "pwrite " + p;
  if (n->data.size() < off + data.size()) n->data.resize(off + data.size(), '\0');
  n->data.replace(off, data.size(), data);
  return "";
}

std::string Generator::Truncate() {
  auto files = model_.Paths(Node::kFile);
  if (files.empty()) return "";
  const std::string& p = Pick(files);
  uint64_t size = R(400000);
  if (truncate(P(p).c_str(), static_cast<off_t>(size)) != 0) return "truncate " + p;
  model_.Get(p)->data.resize(size, '\0');
  return "";
}

std::string Generator::MakeDir() {
  std::string p = NewName(AnyDir());
  int rc = mkdir(P(p).c_str(), 0755);
  std::string e = Expect("mkdir", rc, model_.Get(p) ? EEXIST : 0);
  if (rc == 0) model_.Put(p, std::make_shared<Node>(Node{Node::kDir, "", 0755, {}}));
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
  if (rc == 0) model_.Put(p, std::make_shared<Node>(Node{Node::kLink, target, 0777, {}}));
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
  std::string value(R(600), static_cast<char>('0' + R(10)));  // 5 fit a block
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
        if (len < 0 || std::string(buf, len) != m->data) out << "target " << p << "\n";
      } else {
        int fd = open(P(p).c_str(), O_RDONLY);
        std::string data(m->data.size() + 1, '\0');
        ssize_t got = fd >= 0 ? pread(fd, data.data(), data.size(), 0) : -1;
        if (fd >= 0) close(fd);
        if (got != static_cast<ssize_t>(m->data.size()) ||
            data.substr(0, got) != m->data) out << "content " << p << "\n";
        if ((st.st_mode & 07777) != m->mode) out << "mode " << p << "\n";
        if (static_cast<int>(st.st_nlink) != model_.Links(m)) out << "nlink " << p << "\n";
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
  return out.str();
}

class RandomOpsTest : public ::testing::TestWithParam<uint64_t> {};

TEST_P(RandomOpsTest, MatchesTheModelAcrossRemounts) {
  if (!testutil::FuseAvailable()) {
    GTEST_SKIP() << "needs /dev/fuse";
  }
  testutil::TempDir dir;
  std::string image = dir.Join("fs.img");
  testutil::MakeFs(image, {"-t", "ext4", "-b", "4096"}, "", "256M");
  std::string mnt = dir.Join("mnt");
  mkdir(mnt.c_str(), 0755);
  std::string error;
  auto fuse = testutil::Ext4fhMount::Start(image, mnt, {}, &error);
  ASSERT_NE(fuse, nullptr) << error;
  Generator gen(mnt, GetParam());
  for (int i = 0; i < 2000; ++i) {
    std::string mismatch = gen.Step(i);
    ASSERT_EQ(mismatch, "") << "step " << i;
    if (i % 500 == 499) {
      ASSERT_EQ(gen.Verify(), "") << "after step " << i;
    }
  }
  ASSERT_EQ(fuse->Unmount(), 0);
  testutil::CommandResult fsck = testutil::Fsck(image);
  ASSERT_EQ(fsck.exit_code, 0) << fsck.out;
  fuse = testutil::Ext4fhMount::Start(image, mnt, {}, &error);
  ASSERT_NE(fuse, nullptr) << error;
  EXPECT_EQ(gen.Verify(), "") << "after remount";
  EXPECT_EQ(fuse->Unmount(), 0);
}

INSTANTIATE_TEST_SUITE_P(Seeds, RandomOpsTest, ::testing::Values(11, 22, 33));

}  // namespace
}  // namespace ext4fh
