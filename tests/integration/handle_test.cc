// NFS re-export (issue 5, items 1, 2 and 4): file handles made with
// name_to_handle_at, the calls kernel nfsd and ganesha's VFS backend use,
// resolve for as long as their inode lives, across cache drops, crashes,
// planned restarts and remounts; once the inode is gone they give ESTALE,
// never another file. Handles from an untrusted client (crafted or random)
// give ESTALE, expose nothing and never crash the server.

#include <fcntl.h>
#include <gmock/gmock.h>
#include <linux/capability.h>
#include <gtest/gtest.h>
#include <linux/fs.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <map>
#include <random>
#include <set>

#include "integration/crash_fixture.h"
#include "testutil/run_as.h"

namespace ext4fh {
namespace {

using ::testing::AnyOf;

// FUSE's handle: type FILEID_INO64_GEN, three u32 words: the nodeid's high
// and low halves, and the generation (docs/kernel-facts.md, Q5).
constexpr int kFuseHandleType = 0x81;

struct Handle {
  int type = 0;
  std::vector<unsigned char> bytes;
};

// The handle of `path` (not following a final symlink).
Handle HandleOf(const std::string& path) {
  alignas(file_handle) char buf[sizeof(file_handle) + MAX_HANDLE_SZ];
  auto* fh = reinterpret_cast<file_handle*>(buf);
  fh->handle_bytes = MAX_HANDLE_SZ;
  int mount_id = 0;
  if (name_to_handle_at(AT_FDCWD, path.c_str(), fh, &mount_id, 0) != 0) {
    ADD_FAILURE() << "name_to_handle_at " << path << ": " << strerror(errno);
    return {};
  }
  return {fh->handle_type,
          {fh->f_handle, fh->f_handle + fh->handle_bytes}};
}

// A handle made of the three words, as a client could send it.
Handle Craft(uint32_t nodeid_high, uint32_t nodeid_low, uint32_t generation) {
  Handle h{kFuseHandleType, std::vector<unsigned char>(12)};
  uint32_t words[3] = {nodeid_high, nodeid_low, generation};
  std::memcpy(h.bytes.data(), words, sizeof(words));
  return h;
}

// open_by_handle_at(mount_fd, h, flags): the fd, or -errno.
int OpenHandle(int mount_fd, const Handle& h, int flags) {
  alignas(file_handle) char buf[sizeof(file_handle) + 4096];
  auto* fh = reinterpret_cast<file_handle*>(buf);
  fh->handle_type = h.type;
  fh->handle_bytes = static_cast<unsigned>(h.bytes.size());
  std::memcpy(fh->f_handle, h.bytes.data(), h.bytes.size());
  int fd = open_by_handle_at(mount_fd, fh, flags | O_CLOEXEC);
  return fd >= 0 ? fd : -errno;
}

std::string FdPath(int fd) {
  char buf[4096];
  ssize_t n = readlink(("/proc/self/fd/" + std::to_string(fd)).c_str(), buf,
                       sizeof(buf));
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void DropCaches() {
  sync();
  std::ofstream out("/proc/sys/vm/drop_caches");
  out << "2\n" << std::flush;
  ASSERT_TRUE(out.good()) << "cannot write drop_caches: " << strerror(errno);
}

uint64_t StatusNumber(const std::string& mnt, const std::string& key) {
  std::string value = testutil::CtlStatus(mnt)[key];
  return value.empty() ? 0 : std::stoull(value);
}

// One file of the tree and what its handle must lead back to.
struct Named {
  std::string rel;  // path below the mountpoint
  Handle handle;
  ino_t ino = 0;
  mode_t type = 0;
  std::string content;  // regular files
};

class HandleTest : public CrashFixture {
 protected:
  void TearDown() override {
    if (mount_fd_ >= 0) {
      close(mount_fd_);
    }
  }

  void OpenMountFd() {
    if (mount_fd_ >= 0) {
      close(mount_fd_);
    }
    mount_fd_ = open(mnt_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    ASSERT_GE(mount_fd_, 0) << strerror(errno);
  }

  // Every file type, in nested directories, plus a hard link.
  void MakeTree() {
    ASSERT_EQ(mkdir(Path("a").c_str(), 0755), 0);
    ASSERT_EQ(mkdir(Path("a/b").c_str(), 0755), 0);
    ASSERT_EQ(mkdir(Path("a/b/c").c_str(), 0700), 0);
    std::ofstream(Path("a/b/c/file")) << "deep file";
    std::ofstream(Path("top")) << "top file";
    ASSERT_EQ(link(Path("top").c_str(), Path("a/hardlink").c_str()), 0);
    ASSERT_EQ(symlink("../top", Path("a/symlink").c_str()), 0);
    ASSERT_EQ(mknod(Path("a/fifo").c_str(), S_IFIFO | 0644, 0), 0);
    ASSERT_EQ(mknod(Path("a/socket").c_str(), S_IFSOCK | 0644, 0), 0);
    ASSERT_EQ(mknod(Path("a/chr").c_str(), S_IFCHR | 0644, makedev(1, 3)), 0);
    ASSERT_EQ(mknod(Path("a/blk").c_str(), S_IFBLK | 0644, makedev(7, 0)), 0);
    for (const char* rel : {"", "lost+found", "a", "a/b", "a/b/c",
                            "a/b/c/file", "top",
                            "a/hardlink", "a/symlink", "a/fifo", "a/socket",
                            "a/chr", "a/blk"}) {
      tree_.push_back(Save(rel));
      ASSERT_EQ(tree_.back().handle.type, kFuseHandleType) << rel;
    }
  }

  // What `rel` is now, with its handle.
  Named Save(const std::string& rel) {
    Named n;
    n.rel = rel;
    struct stat st {};
    EXPECT_EQ(lstat(Path(rel).c_str(), &st), 0) << rel;
    n.ino = st.st_ino;
    n.type = st.st_mode & S_IFMT;
    n.handle = HandleOf(Path(rel));
    if (S_ISREG(st.st_mode)) {
      n.content = ReadAll(Path(rel));
    }
    return n;
  }

  // Every handle of the tree opens its own file: same inode and type, same
  // content, and directories reconnect to their full path.
  void ExpectTreeResolves(const std::string& when) {
    for (const Named& n : tree_) {
      int fd = OpenHandle(mount_fd_, n.handle, O_PATH);
      ASSERT_GE(fd, 0) << n.rel << " " << when << ": " << strerror(-fd);
      struct stat st {};
      EXPECT_EQ(fstat(fd, &st), 0);
      EXPECT_EQ(st.st_ino, n.ino) << n.rel << " " << when;
      EXPECT_EQ(st.st_mode & S_IFMT, n.type) << n.rel << " " << when;
      if (n.type == S_IFDIR) {
        EXPECT_EQ(FdPath(fd), n.rel.empty() ? mnt_ : Path(n.rel))
            << "directory not reconnected " << when;
      }
      close(fd);
      if (n.type == S_IFREG) {
        fd = OpenHandle(mount_fd_, n.handle, O_RDONLY);
        ASSERT_GE(fd, 0) << n.rel << " " << when;
        std::string back(n.content.size() + 1, '\0');
        EXPECT_EQ(read(fd, back.data(), back.size()),
                  static_cast<ssize_t>(n.content.size()));
        back.resize(n.content.size());
        EXPECT_EQ(back, n.content) << n.rel << " " << when;
        close(fd);
      }
    }
  }

  // The handle gives ESTALE, and again after a cache drop. An inode the
  // kernel still holds (its last close's RELEASE not yet answered) may open
  // for a moment, as a deleted but open file does on ext4; then it must be
  // the same inode.
  void ExpectStale(const Handle& h, const std::string& what,
                   ino_t was = 0) {
    int fd = 0;
    for (int i = 0; i < 250; ++i) {
      fd = OpenHandle(mount_fd_, h, O_PATH);
      if (fd < 0) {
        break;
      }
      struct stat st {};
      fstat(fd, &st);
      close(fd);
      ASSERT_EQ(st.st_ino, was) << what << ": opened another file";
      usleep(20000);
    }
    EXPECT_EQ(fd, -ESTALE) << what;
    DropCaches();
    fd = OpenHandle(mount_fd_, h, O_PATH);
    EXPECT_EQ(fd, -ESTALE) << what << " after a cache drop";
    if (fd >= 0) {
      close(fd);
    }
  }

  // Drops the kernel's caches and waits until the server has seen it forget
  // inodes (`cached_inodes` falls), so that the next opens of handles are
  // resolved from the image through LOOKUP(nodeid, ".").
  void DropCachesEvicting() {
    uint64_t before = StatusNumber(mnt_, "cached_inodes");
    ASSERT_NO_FATAL_FAILURE(DropCaches());
    uint64_t after = before;
    for (int i = 0; i < 250 && after >= before; ++i) {
      usleep(20000);
      after = StatusNumber(mnt_, "cached_inodes");
    }
    ASSERT_LT(after, before) << "drop_caches evicted nothing";
  }

  // Kills the server; another one must serve, counted as one more restart.
  void Crash() {
    uint64_t restarts = StatusNumber(mnt_, "restarts");
    ASSERT_NO_FATAL_FAILURE(CrashAndWait());
    EXPECT_EQ(StatusNumber(mnt_, "restarts"), restarts + 1);
  }

  // `ctl restart`; likewise.
  void PlannedRestart() {
    std::map<std::string, std::string> before = testutil::CtlStatus(mnt_);
    ASSERT_EQ(testutil::Run({testutil::Ext4fhBinary(), "ctl", "restart", mnt_})
                  .exit_code,
              0);
    pid_t old = static_cast<pid_t>(std::stol(before["server_pid"]));
    ASSERT_GT(testutil::WaitForNewServer(mnt_, old), 0) << Diagnosis();
    EXPECT_EQ(StatusNumber(mnt_, "restarts"),
              std::stoull(before["restarts"]) + 1);
  }

  void CloseMountFdAndUnmount() {
    close(mount_fd_);
    mount_fd_ = -1;
    UnmountAndCheck();
  }

  int mount_fd_ = -1;
  std::vector<Named> tree_;
};

// Item 2 (a)-(d): each event in turn, each followed by a cache drop so
// that the server, not the kernel's cache, resolves the handles.
TEST_F(HandleTest, HandlesOfEveryTypeSurviveCacheDropsRestartsAndRemounts) {
  Mount({});
  ASSERT_NO_FATAL_FAILURE(MakeTree());
  OpenMountFd();
  ExpectTreeResolves("while cached");
  ASSERT_NO_FATAL_FAILURE(DropCachesEvicting());
  ExpectTreeResolves("after drop_caches");

  ASSERT_NO_FATAL_FAILURE(Crash());
  ExpectTreeResolves("after a crash, cached");
  ASSERT_NO_FATAL_FAILURE(DropCachesEvicting());
  ExpectTreeResolves("after a crash");

  ASSERT_NO_FATAL_FAILURE(PlannedRestart());
  ExpectTreeResolves("after a planned restart, cached");
  ASSERT_NO_FATAL_FAILURE(DropCachesEvicting());
  ExpectTreeResolves("after a planned restart");

  CloseMountFdAndUnmount();
  Mount({});
  OpenMountFd();
  ExpectTreeResolves("after a remount");
  CloseMountFdAndUnmount();
}

TEST_F(HandleTest, DeletedAndReusedInodesAreStale) {
  Mount({});
  OpenMountFd();
  std::ofstream(Path("gone")) << "deleted";
  struct stat gone_st {};
  ASSERT_EQ(stat(Path("gone").c_str(), &gone_st), 0);
  Handle gone = HandleOf(Path("gone"));
  ASSERT_EQ(unlink(Path("gone").c_str()), 0);
  ExpectStale(gone, "deleted file", gone_st.st_ino);

  // Reuse an inode number: ext4fh gives the new inode another generation.
  // The number is free only once the kernel released the old file (the
  // first ExpectStale waits for that).
  std::ofstream(Path("old")) << "old file";
  struct stat old {};
  ASSERT_EQ(stat(Path("old").c_str(), &old), 0);
  Handle old_handle = HandleOf(Path("old"));
  ASSERT_EQ(unlink(Path("old").c_str()), 0);
  ExpectStale(old_handle, "deleted file", old.st_ino);
  std::ofstream(Path("new")) << "new file";
  struct stat now {};
  ASSERT_EQ(stat(Path("new").c_str(), &now), 0);
  ASSERT_EQ(now.st_ino, old.st_ino) << "the inode number was not reused";
  ExpectStale(old_handle, "reused inode number", old.st_ino);
  int fd = OpenHandle(mount_fd_, HandleOf(Path("new")), O_RDONLY);
  ASSERT_GE(fd, 0);
  char buf[16] = {};
  EXPECT_EQ(read(fd, buf, sizeof(buf)), 8);
  EXPECT_STREQ(buf, "new file");
  close(fd);
  CloseMountFdAndUnmount();
}

// Item 5: the handles of a deleted directory, of a directory deleted with
// its parent, and of a deleted symlink are stale.
TEST_F(HandleTest, DeletedDirectoriesAndSymlinksAreStale) {
  Mount({});
  OpenMountFd();
  ASSERT_EQ(mkdir(Path("d").c_str(), 0755), 0);
  ASSERT_EQ(mkdir(Path("d/sub").c_str(), 0755), 0);
  ASSERT_EQ(symlink("d/sub", Path("link").c_str()), 0);
  std::vector<Named> gone = {Save("d"), Save("d/sub"), Save("link")};
  ASSERT_EQ(unlink(Path("link").c_str()), 0);
  ASSERT_EQ(rmdir(Path("d/sub").c_str()), 0);
  ASSERT_EQ(rmdir(Path("d").c_str()), 0);
  for (const Named& n : gone) {
    ExpectStale(n.handle, "deleted " + n.rel, n.ino);
  }
  CloseMountFdAndUnmount();
}

// Item 5: a handle saved before a crash or a planned restart is stale
// after it once its file is deleted, whether before or after the restart:
// the new server learns it from the image.
TEST_F(HandleTest, FilesDeletedAcrossRestartsAreStale) {
  Mount({});
  OpenMountFd();
  std::ofstream(Path("before")) << "deleted before the crash";
  std::ofstream(Path("after")) << "deleted after the planned restart";
  Named before = Save("before");
  Named after = Save("after");
  ASSERT_EQ(unlink(Path("before").c_str()), 0);
  ASSERT_NO_FATAL_FAILURE(Crash());
  ExpectStale(before.handle, "deleted before a crash", before.ino);
  ASSERT_NO_FATAL_FAILURE(PlannedRestart());
  ASSERT_EQ(unlink(Path("after").c_str()), 0);
  ExpectStale(after.handle, "deleted after a planned restart", after.ino);
  CloseMountFdAndUnmount();
}

// Item 5: across unmounts and new mounts too, also once new files reuse the
// inode numbers (with new generations): the old handles never open them.
TEST_F(HandleTest, FilesDeletedAcrossRemountsAreStaleAlsoWhenReused) {
  Mount({});
  std::ofstream(Path("before")) << "deleted before the remount";
  std::ofstream(Path("after")) << "deleted after the remount";
  Named before = Save("before");
  Named after = Save("after");
  ASSERT_EQ(unlink(Path("before").c_str()), 0);
  UnmountAndCheck();
  Mount({});
  OpenMountFd();
  ExpectStale(before.handle, "deleted before a remount");
  ASSERT_EQ(unlink(Path("after").c_str()), 0);
  ExpectStale(after.handle, "deleted after a remount", after.ino);
  CloseMountFdAndUnmount();

  Mount({});
  OpenMountFd();
  std::set<ino_t> reused;
  for (const char* name : {"new1", "new2"}) {
    std::ofstream(Path(name)) << name;
    tree_.push_back(Save(name));
    reused.insert(tree_.back().ino);
  }
  ASSERT_EQ(reused, (std::set<ino_t>{before.ino, after.ino}))
      << "the inode numbers were not reused";
  ExpectStale(before.handle, "inode number reused after a remount");
  ExpectStale(after.handle, "inode number reused after a remount");
  ExpectTreeResolves("new files on reused inode numbers");
  CloseMountFdAndUnmount();
}

// Opens `h` with O_RDONLY and says what came of it: the path below `mnt`,
// or the errno.
std::string Outcome(int mount_fd, const Handle& h, const std::string& mnt) {
  int fd = OpenHandle(mount_fd, h, O_RDONLY);
  if (fd < 0) {
    return strerrorname_np(-fd);
  }
  std::string path = FdPath(fd);
  close(fd);
  return path.starts_with(mnt) ? path.substr(mnt.size()) : "elsewhere " + path;
}

// The handles of p/q (below nobody's 0700 p) and r/s (below root's 0700 r),
// each decoded from the image (caches dropped) by root and by uid 1000
// holding only CAP_DAC_READ_SEARCH, which open_by_handle_at needs.
std::map<std::string, std::string> DecodedBelowPrivateDirs(
    const std::string& mnt) {
  std::map<std::string, std::string> outcome;
  int mount_fd = open(mnt.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  for (const char* rel : {"p/q", "r/s"}) {
    Handle h = HandleOf(mnt + "/" + rel);
    DropCaches();
    outcome[std::string(rel) + " by root"] = Outcome(mount_fd, h, mnt);
    DropCaches();
    outcome[std::string(rel) + " by uid 1000"] = testutil::RunAs(
        1000, 1000, [&] { return Outcome(mount_fd, h, mnt); },
        uint64_t{1} << CAP_DAC_READ_SEARCH);
  }
  close(mount_fd);
  return outcome;
}

// Item 6: reconnecting a directory handle below other users' 0700
// directories. The kernel reads each parent to find the name (exportfs
// get_name) with the decoder's credentials; on the kernel's ext4 root and a
// user with CAP_DAC_READ_SEARCH both reconnect. ext4fh with
// allow_other,default_permissions (the kernel checks) does the same.
// Without default_permissions ext4fh checks OPENDIR itself and sees a uid,
// not capabilities: the capable user gets ESTALE (docs/differences.md).
TEST_F(HandleTest, ReconnectBelowPrivateDirectoriesAsOnExt4) {
  if (!testutil::KernelMountAvailable()) {
    GTEST_SKIP() << "no kernel loop mounts here";
  }
  std::string seed = dir_.Join("seed");
  ASSERT_EQ(testutil::Shell("mkdir -p " + seed + "/p/q " + seed + "/r/s && " +
                            "chmod 700 " + seed + "/p " + seed + "/r && " +
                            "chown -R 65534:65534 " + seed + "/p")
                .exit_code,
            0);
  testutil::MakeFs(image_, {"-t", "ext4"}, seed, "64M");
  std::string kernel_image = dir_.Join("kernel.img");
  testutil::MakeFs(kernel_image, {"-t", "ext4"}, seed, "64M");
  std::string kmnt = dir_.Join("kmnt"), error;
  ASSERT_EQ(mkdir(kmnt.c_str(), 0755), 0);
  auto kernel = testutil::KernelMount::Start(kernel_image, kmnt, false, &error);
  ASSERT_NE(kernel, nullptr) << error;
  std::map<std::string, std::string> on_ext4 = DecodedBelowPrivateDirs(kmnt);
  EXPECT_TRUE(kernel->Unmount());
  for (const auto& [what, outcome] : on_ext4) {
    EXPECT_EQ(outcome, "/" + what.substr(0, 3)) << what << " on ext4";
  }

  Mount({"-o", "allow_other,default_permissions"});
  EXPECT_EQ(DecodedBelowPrivateDirs(mnt_), on_ext4);
  UnmountAndCheck();

  Mount({"-o", "allow_other"});
  std::map<std::string, std::string> expected = on_ext4;
  expected["p/q by uid 1000"] = expected["r/s by uid 1000"] = "ESTALE";
  EXPECT_EQ(DecodedBelowPrivateDirs(mnt_), expected);
  UnmountAndCheck();
}

// A superblock field of the image, from dumpe2fs -h.
uint32_t SuperField(const std::string& image, const std::string& field) {
  testutil::CommandResult r = testutil::Run({"dumpe2fs", "-h", image});
  size_t at = r.out.find(field + ":");
  return at == std::string::npos
             ? 0
             : static_cast<uint32_t>(
                   std::stoul(r.out.substr(at + field.size() + 1)));
}

// Item 4: handles that name no file. The image has quota, project quota
// and an orphan file, whose inodes lie past the usual reserved range.
TEST_F(HandleTest, CraftedHandlesAreStale) {
  testutil::MakeFs(image_,
                   {"-t", "ext4", "-O", "quota,project,orphan_file", "-E",
                    "quotatype=usrquota:grpquota:prjquota"},
                   "", "64M");
  uint32_t inodes = SuperField(image_, "Inode count");
  uint32_t orphan_file = SuperField(image_, "Orphan file inode");
  uint32_t project = SuperField(image_, "Project quota inode");
  ASSERT_GT(inodes, 0u);
  ASSERT_GT(orphan_file, 0u) << "no orphan file in this image";
  ASSERT_GT(project, 0u) << "no project quota in this image";
  Mount({"-o", "ro"});
  OpenMountFd();
  struct stat lpf {};
  ASSERT_EQ(stat(Path("lost+found").c_str(), &lpf), 0);
  Handle valid = HandleOf(Path("lost+found"));
  uint32_t gen = 0;
  std::memcpy(&gen, valid.bytes.data() + 8, 4);

  std::map<std::string, Handle> crafted = {
      {"bad blocks inode", Craft(1, 1, 1)},  // (0, 1, 0) is the root
      {"inode 0", Craft(0, 0, 0)},
      {"nodeid 2", Craft(0, 2, 0)},
      {"user quota", Craft(0, 3, 0)},
      {"group quota", Craft(0, 4, 0)},
      {"reserved 5", Craft(0, 5, 0)},
      {"resize inode", Craft(0, 7, 0)},
      {"journal", Craft(0, 8, 0)},
      {"orphan file", Craft(0, orphan_file, 0)},
      {"project quota", Craft(0, project, 0)},
      {"unallocated", Craft(0, inodes - 1, 0)},
      {"last inode + 1", Craft(0, inodes + 1, 0)},
      {"largest number", Craft(0, 0xffffffff, 0)},
      {"wrong generation", Craft(gen + 1, lpf.st_ino, gen + 1)},
      {"generation words disagree", Craft(gen + 1, lpf.st_ino, gen)},
      {"generation words disagree 2", Craft(gen, lpf.st_ino, gen + 1)},
      {"root with a generation", Craft(0xffffffff, 1, 0xffffffff)},
  };
  Handle truncated = valid;
  truncated.bytes.resize(8);
  crafted["truncated"] = truncated;
  Handle unknown_type = valid;
  unknown_type.type = 1;
  crafted["unknown type"] = unknown_type;
  for (const auto& [what, handle] : crafted) {
    ExpectStale(handle, what);
  }
  // Longer than the kernel accepts: refused before any lookup.
  Handle oversized = valid;
  oversized.bytes.resize(MAX_HANDLE_SZ + 4);
  EXPECT_EQ(OpenHandle(mount_fd_, oversized, O_PATH), -EINVAL);
  // The valid handle still opens, and the server never stopped.
  int fd = OpenHandle(mount_fd_, valid, O_PATH);
  EXPECT_GE(fd, 0);
  close(fd);
  EXPECT_EQ(testutil::CtlStatus(mnt_)["restarts"], "0");
  CloseMountFdAndUnmount();
}

// Item 4: words after the first three. fuse_fh_to_dentry only checks that
// a handle of type 0x81 or 0x82 has at least three words, and LOOKUP(nodeid,
// ".") carries nothing but the nodeid, so the rest never reaches the server
// and it cannot refuse a handle it never issued: one with trailing junk (up
// to MAX_HANDLE_SZ) opens the file its first three words name, as on the
// kernel's ext4 (docs/kernel-facts.md, Q16). Junk never makes a stale handle
// open anything.
TEST_F(HandleTest, WordsAfterTheThirdAreIgnoredByTheKernel) {
  Mount({});
  ASSERT_NO_FATAL_FAILURE(MakeTree());
  OpenMountFd();
  uint32_t gen = 0;
  std::memcpy(&gen, tree_[1].handle.bytes.data() + 8, 4);
  Handle stale = Craft(gen + 1, static_cast<uint32_t>(tree_[1].ino), gen + 1);
  stale.bytes.resize(MAX_HANDLE_SZ, 0xa5);
  for (Named& n : tree_) {
    n.handle.bytes.resize(MAX_HANDLE_SZ, 0xa5);
  }
  ExpectTreeResolves("with trailing junk, cached");
  ASSERT_NO_FATAL_FAILURE(DropCachesEvicting());
  ExpectTreeResolves("with trailing junk");
  for (Named& n : tree_) {  // the parent-carrying type, without a parent
    n.handle.type = kFuseHandleType + 1;
    n.handle.bytes.resize(12);
  }
  ASSERT_NO_FATAL_FAILURE(DropCachesEvicting());
  ExpectTreeResolves("as type 0x82 with three words");
  ExpectStale(stale, "stale handle with trailing junk");
  CloseMountFdAndUnmount();
}

// Item 4: random and mutated handles. Each either fails, or opens exactly
// the file its words name, with the generation it has; the server lives.
TEST_F(HandleTest, FuzzedHandlesNeverOpenAnotherFile) {
  Mount({});
  ASSERT_NO_FATAL_FAILURE(MakeTree());
  OpenMountFd();
  // (ino, generation) of every file of the tree.
  std::set<std::pair<uint32_t, uint32_t>> files;
  for (const Named& n : tree_) {
    uint32_t gen = 0;
    std::memcpy(&gen, n.handle.bytes.data() + 8, 4);
    files.insert({static_cast<uint32_t>(n.ino), gen});
  }
  std::mt19937_64 rng(20261202);
  auto random_word = [&] { return static_cast<uint32_t>(rng()); };
  int opened = 0, refused = 0;
  for (int i = 0; i < 6000; ++i) {
    Handle h = tree_[rng() % tree_.size()].handle;
    switch (i % 4) {
      case 0:  // random bytes, random length and type
        h.type = (rng() % 4 == 0) ? static_cast<int>(rng() % 256)
                                  : kFuseHandleType;
        h.bytes.resize(rng() % 40);
        for (unsigned char& b : h.bytes) {
          b = static_cast<unsigned char>(rng());
        }
        break;
      case 1:  // one bit flipped
        h.bytes[rng() % h.bytes.size()] ^=
            static_cast<unsigned char>(1u << (rng() % 8));
        break;
      case 2: {  // a small inode number, any generation
        uint32_t ino = static_cast<uint32_t>(rng() % 64);
        uint32_t gen = rng() % 2 ? random_word() : 0;
        h = Craft(gen, ino, gen);
        break;
      }
      default:  // a real file's words, shuffled
        std::swap(h.bytes[rng() % 12], h.bytes[rng() % 12]);
        break;
    }
    int fd = OpenHandle(mount_fd_, h, O_PATH);
    if (fd < 0) {
      EXPECT_THAT(-fd, AnyOf(ESTALE, EINVAL)) << "handle " << i;
      ++refused;
      continue;
    }
    ++opened;
    struct stat st {};
    fstat(fd, &st);
    uint32_t words[3] = {};
    std::memcpy(words, h.bytes.data(), std::min<size_t>(12, h.bytes.size()));
    uint32_t ino = words[1] == 1 && words[0] == 0 ? 2 : words[1];
    EXPECT_EQ(st.st_ino, ino) << "handle " << i << " opened another file";
    EXPECT_TRUE(ino == 2 || files.contains({ino, words[2]}))
        << "handle " << i << " opened inode " << st.st_ino;
    close(fd);
    if (i % 500 == 0) {
      DropCaches();
    }
  }
  EXPECT_GT(refused, 3000);
  EXPECT_GT(opened, 0);
  std::map<std::string, std::string> status = testutil::CtlStatus(mnt_);
  EXPECT_EQ(status["restarts"], "0");
  EXPECT_EQ(status["state"], "serving");
  ExpectTreeResolves("after the fuzzing");
  CloseMountFdAndUnmount();
}

}  // namespace
}  // namespace ext4fh
