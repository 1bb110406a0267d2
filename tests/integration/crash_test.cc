// Crash survival (issue 4, tests a, b, c, e): the server is killed, by
// SIGKILL at random moments under load or at deterministic crash points
// (util/fault.h), and a new one resumes the same connection. Applications
// never see ENOTCONN, fsync'd data survives, resent requests end as if they
// ran once, inodes that fsck removed and reused answer ESTALE or EIO, and
// too many crashes end in an unmount.

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <thread>

#include "integration/crash_fixture.h"
#include "util/cleanup.h"

namespace ext4fh {
namespace {

using ::testing::AnyOf;
using ::testing::HasSubstr;
using ::testing::Not;

uint64_t Mix(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  return x ^ (x >> 33);
}

// `size` bytes determined by `seed`.
std::string Content(uint64_t seed, size_t size) {
  std::string s(size, '\0');
  uint64_t state = Mix(seed + 1);
  for (size_t i = 0; i < size; i += 8) {
    state = Mix(state);
    std::memcpy(&s[i], &state, std::min<size_t>(8, size - i));
  }
  return s;
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

bool WriteAllFd(int fd, const std::string& data) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = write(fd, data.data() + done, data.size() - done);
    if (n <= 0) {
      return false;
    }
    done += static_cast<size_t>(n);
  }
  return true;
}

std::string Errno(const std::string& what) {
  return what + ": " + strerror(errno);
}

// --- (a) SIGKILL under load ------------------------------------------------

constexpr size_t kJournalRecord = 64;

// The record a load worker appends to its journal at step `k`.
std::string JournalRecord(int worker, uint64_t k) {
  return Content(k * 977 + static_cast<uint64_t>(worker), kJournalRecord);
}

// One worker process's load, in its own directory: creates files, writes
// them, fsyncs, renames and unlinks some, makes and removes directories,
// and keeps two fds open the whole time: a journal it appends to (pwrite +
// fsync) and re-reads, and its first file, which it re-reads. Every file it
// fsync'd and did not remove is recorded in the model it returns.
class LoadWorker {
 public:
  LoadWorker(int id, std::string dir) : id_(id), dir_(std::move(dir)) {}

  // Runs until `*stop`; returns "" or the first failure.
  std::string Run(const std::atomic<int>* stop) {
    journal_ = open((dir_ + "/journal").c_str(), O_CREAT | O_RDWR, 0644);
    if (journal_ < 0) {
      return Errno("open journal");
    }
    for (uint64_t k = 0; !stop->load(); ++k) {
      std::string failure = Step(k);
      if (!failure.empty()) {
        return "worker " + std::to_string(id_) + " step " + std::to_string(k) +
               ": " + failure;
      }
    }
    return close(journal_) == 0 ? "" : Errno("close journal");
  }

  // "file PATH SEED SIZE" lines for the files it keeps, then "journal PATH
  // STEPS": the journal holds JournalRecord(id, k) for k < STEPS.
  std::string Model() const {
    std::ostringstream out;
    for (const auto& [path, file] : files_) {
      out << "file " << path << " " << file.first << " " << file.second
          << "\n";
    }
    out << "journal " << dir_ << "/journal "
        << journal_data_.size() / kJournalRecord << "\n";
    return out.str();
  }

 private:
  std::string Step(uint64_t k) {
    uint64_t seed = (static_cast<uint64_t>(id_) << 32) | k;
    size_t size = 1 + Mix(seed) % (96 << 10);
    std::string path = dir_ + "/f" + std::to_string(k);
    std::string failure = CreateSynced(path, seed, size);
    if (!failure.empty()) {
      return failure;
    }
    if (k == 0) {
      first_ = open(path.c_str(), O_RDONLY);
      first_content_ = Content(seed, size);
      if (first_ < 0) {
        return Errno("open " + path);
      }
    }
    if (k % 3 == 1) {
      std::string to = dir_ + "/r" + std::to_string(k);
      if (rename(path.c_str(), to.c_str()) != 0) {
        return Errno("rename " + path);
      }
      files_[to] = files_[path];
      files_.erase(path);
    }
    if (files_.size() > 24) {  // keeps the image from filling up
      auto victim = std::next(files_.begin());  // never f0
      if (unlink(victim->first.c_str()) != 0) {
        return Errno("unlink " + victim->first);
      }
      files_.erase(victim);
    }
    if (k % 8 == 5) {
      failure = ChurnDirectories(k);
    }
    return failure.empty() ? AppendJournal(k) : failure;
  }

  std::string CreateSynced(const std::string& path, uint64_t seed,
                           size_t size) {
    int fd = open(path.c_str(), O_CREAT | O_EXCL | O_WRONLY, 0644);
    if (fd < 0) {
      return Errno("create " + path);
    }
    bool ok = WriteAllFd(fd, Content(seed, size));
    if (!ok || fsync(fd) != 0) {
      int saved = errno;
      close(fd);
      errno = saved;
      return Errno("write+fsync " + path);
    }
    if (close(fd) != 0) {
      return Errno("close " + path);
    }
    files_[path] = {seed, size};
    return "";
  }

  std::string ChurnDirectories(uint64_t k) {
    std::string d = dir_ + "/d" + std::to_string(k);
    if (mkdir(d.c_str(), 0755) != 0) {
      return Errno("mkdir " + d);
    }
    if (symlink("../f0", (d + "/link").c_str()) != 0) {
      return Errno("symlink in " + d);
    }
    if (unlink((d + "/link").c_str()) != 0 || rmdir(d.c_str()) != 0) {
      return Errno("remove " + d);
    }
    return "";
  }

  // Appends a record, fsyncs it, and every tenth step re-reads the journal
  // and the first file through the fds held since the start.
  std::string AppendJournal(uint64_t k) {
    std::string record = JournalRecord(id_, k);
    if (pwrite(journal_, record.data(), record.size(), journal_data_.size()) !=
            static_cast<ssize_t>(record.size()) ||
        fsync(journal_) != 0) {
      return Errno("journal append");
    }
    journal_data_ += record;
    if (k % 10 != 0) {
      return "";
    }
    std::string back(journal_data_.size(), '\0');
    if (pread(journal_, back.data(), back.size(), 0) !=
            static_cast<ssize_t>(back.size()) ||
        back != journal_data_) {
      return Errno("journal re-read differs or failed");
    }
    std::string first(first_content_.size(), '\0');
    if (pread(first_, first.data(), first.size(), 0) !=
            static_cast<ssize_t>(first.size()) ||
        first != first_content_) {
      return Errno("first file re-read differs or failed");
    }
    return "";
  }

  int id_;
  std::string dir_;
  int journal_ = -1;          // held open the whole run
  std::string journal_data_;  // what it should hold
  int first_ = -1;
  std::string first_content_;
  std::map<std::string, std::pair<uint64_t, size_t>> files_;
};

int KillCount() {
  const char* env = getenv("CRASH_KILLS");
  return env && *env ? std::atoi(env) : 50;
}

class CrashTest : public CrashFixture {
 protected:
  // Forks `n` load workers; each writes its failure (or nothing) and its
  // model to files in the temp dir.
  std::vector<pid_t> StartWorkers(int n, std::atomic<int>* stop) {
    std::vector<pid_t> pids;
    for (int i = 0; i < n; ++i) {
      std::string dir = Path("w" + std::to_string(i));
      EXPECT_EQ(mkdir(dir.c_str(), 0755), 0);
      pid_t pid = fork();
      if (pid == 0) {
        LoadWorker worker(i, dir);
        std::string failure = worker.Run(stop);
        std::ofstream(dir_.Join("failure" + std::to_string(i))) << failure;
        std::ofstream(dir_.Join("model" + std::to_string(i))) << worker.Model();
        _exit(failure.empty() ? 0 : 1);
      }
      pids.push_back(pid);
    }
    return pids;
  }

  // Checks every file and journal in the workers' models against its
  // content.
  void VerifyModels(int n) {
    size_t steps = 0;
    for (int i = 0; i < n; ++i) {
      std::ifstream model(dir_.Join("model" + std::to_string(i)));
      std::string kind, path;
      while (model >> kind >> path) {
        uint64_t seed = 0, size = 0;
        if (kind == "file" && model >> seed >> size) {
          ASSERT_EQ(ReadAll(path), Content(seed, size)) << path;
        } else if (kind == "journal" && model >> size) {
          std::string expected;
          for (uint64_t k = 0; k < size; ++k) {
            expected += JournalRecord(i, k);
          }
          ASSERT_EQ(ReadAll(path), expected) << path;
          steps += size;
        } else {
          FAIL() << "bad model line for " << path;
        }
      }
    }
    EXPECT_GT(steps, 200u) << "the load did too little to mean anything";
  }
};

TEST_F(CrashTest, SigkillUnderLoadLosesNothingFsyncedAndNeverFails) {
  // crash_window=0: no crash limit and no backoff; the shipped e2fsck hook
  // runs after every kill.
  Mount({"-o", "crash_window=0"});
  auto* stop = static_cast<std::atomic<int>*>(
      mmap(nullptr, sizeof(std::atomic<int>), PROT_READ | PROT_WRITE,
           MAP_SHARED | MAP_ANONYMOUS, -1, 0));
  ASSERT_NE(stop, MAP_FAILED);
  stop->store(0);
  constexpr int kWorkers = 4;
  std::vector<pid_t> workers = StartWorkers(kWorkers, stop);
  // On a failed assertion, no worker may outlive the test.
  Cleanup kill_workers([&] {
    for (pid_t pid : workers) {
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
    }
  });
  std::mt19937 rng(20261121);
  int kills = KillCount();
  for (int i = 0; i < kills; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(
        std::uniform_int_distribution<int>(20, 300)(rng)));
    ASSERT_NO_FATAL_FAILURE(CrashAndWait()) << "kill " << i;
  }
  stop->store(1);
  for (int i = 0; i < kWorkers; ++i) {
    int status = 0;
    waitpid(workers[i], &status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
        << ReadAll(dir_.Join("failure" + std::to_string(i)));
  }
  kill_workers.Cancel();
  munmap(stop, sizeof(std::atomic<int>));
  std::map<std::string, std::string> status = testutil::CtlStatus(mnt_);
  EXPECT_EQ(status["restarts"], std::to_string(kills));
  EXPECT_EQ(status["last_exit"], "signal KILL");
  RecordProperty("inflight_resent", status["inflight_resent"]);
  VerifyModels(kWorkers);
  UnmountAndCheck();
  // And from the image alone, after a fresh mount.
  Mount({});
  VerifyModels(kWorkers);
  UnmountAndCheck();
}

// --- (b) deterministic crash points ------------------------------------------

TEST_F(CrashTest, CrashBeforeWriteReplyAppendsOnce) {
  Mount({}, "before-write-reply");
  std::string first = Content(1, 100 << 10), second = Content(2, 100 << 10);
  int fd = open(Path("log").c_str(), O_CREAT | O_WRONLY | O_APPEND, 0644);
  ASSERT_GE(fd, 0);
  // The server writes the data, dies before replying, and its successor
  // gets the WRITE again, at the same offset (the kernel's cached size).
  ASSERT_EQ(write(fd, first.data(), first.size()),
            static_cast<ssize_t>(first.size()));
  ASSERT_EQ(write(fd, second.data(), second.size()),
            static_cast<ssize_t>(second.size()));
  ASSERT_EQ(fsync(fd), 0);
  close(fd);
  EXPECT_EQ(ReadAll(Path("log")), first + second);
  std::map<std::string, std::string> status = testutil::CtlStatus(mnt_);
  EXPECT_EQ(status["restarts"], "1") << "the crash point was not reached";
  EXPECT_EQ(status["last_exit"], "signal KILL");
  EXPECT_NE(status["inflight_resent"], "0");
  UnmountAndCheck();
}

struct RenameCase {
  const char* name;
  bool replace;    // the target exists
  bool directory;  // a directory moves to another parent
};

class CrashMidRenameTest : public CrashTest,
                           public ::testing::WithParamInterface<RenameCase> {};

TEST_P(CrashMidRenameTest, EndsAsIfItRanOnce) {
  const RenameCase& c = GetParam();
  Mount({}, "mid-rename");
  ASSERT_EQ(mkdir(Path("a").c_str(), 0755), 0);
  ASSERT_EQ(mkdir(Path("b").c_str(), 0755), 0);
  std::string from = Path(c.directory ? "a/dir" : "a/file");
  std::string to = Path(c.directory ? "b/dir" : "b/file");
  if (c.directory) {
    ASSERT_EQ(mkdir(from.c_str(), 0755), 0);
    std::ofstream(from + "/inside") << "inside";
  } else {
    std::ofstream(from) << "moving";
  }
  if (c.replace) {
    std::ofstream(to) << "replaced";
  }
  ASSERT_EQ(rename(from.c_str(), to.c_str()), 0) << strerror(errno);
  struct stat st {};
  EXPECT_EQ(lstat(from.c_str(), &st), -1);
  ASSERT_EQ(lstat(to.c_str(), &st), 0);
  if (c.directory) {
    EXPECT_EQ(ReadAll(to + "/inside"), "inside");
    EXPECT_EQ(st.st_nlink, 2u);
    EXPECT_EQ(lstat((to + "/..").c_str(), &st), 0);
    struct stat b {};
    lstat(Path("b").c_str(), &b);
    EXPECT_EQ(st.st_ino, b.st_ino) << "'..' of the moved directory";
  } else {
    EXPECT_EQ(ReadAll(to), "moving");
    EXPECT_EQ(st.st_nlink, 1u);
  }
  EXPECT_EQ(testutil::CtlStatus(mnt_)["restarts"], "1")
      << "the crash point was not reached";
  UnmountAndCheck();
}

INSTANTIATE_TEST_SUITE_P(
    Renames, CrashMidRenameTest,
    ::testing::Values(RenameCase{"NewName", false, false},
                      RenameCase{"ReplaceFile", true, false},
                      RenameCase{"MoveDirectory", false, true}),
    [](const auto& info) { return std::string(info.param.name); });

// The server dies right after reading its N-th request, before handling
// it; the kernel resends it to the next server. Whatever request that is,
// this sequence of namespace and data operations must run exactly once.
class CrashAfterReadTest : public CrashTest,
                           public ::testing::WithParamInterface<int> {};

TEST_P(CrashAfterReadTest, EveryOperationRunsExactlyOnce) {
  Mount({}, "after-read:" + std::to_string(GetParam()));
  std::string data = Content(7, 20000);
  ASSERT_EQ(mkdir(Path("d").c_str(), 0755), 0) << strerror(errno);
  int fd = open(Path("d/f").c_str(), O_CREAT | O_EXCL | O_WRONLY, 0600);
  ASSERT_GE(fd, 0) << strerror(errno);
  ASSERT_TRUE(WriteAllFd(fd, data));
  ASSERT_EQ(fsync(fd), 0);
  ASSERT_EQ(close(fd), 0);
  ASSERT_EQ(link(Path("d/f").c_str(), Path("d/g").c_str()), 0) << strerror(errno);
  ASSERT_EQ(symlink("f", Path("d/s").c_str()), 0) << strerror(errno);
  ASSERT_EQ(setxattr(Path("d/f").c_str(), "user.k", "v", 1, XATTR_CREATE), 0)
      << strerror(errno);
  ASSERT_EQ(rename(Path("d/g").c_str(), Path("d/h").c_str()), 0)
      << strerror(errno);
  ASSERT_EQ(unlink(Path("d/s").c_str()), 0) << strerror(errno);
  ASSERT_EQ(removexattr(Path("d/f").c_str(), "user.k"), 0) << strerror(errno);
  ASSERT_EQ(unlink(Path("d/h").c_str()), 0) << strerror(errno);
  ASSERT_EQ(mkdir(Path("d/sub").c_str(), 0755), 0) << strerror(errno);
  ASSERT_EQ(rmdir(Path("d/sub").c_str()), 0) << strerror(errno);
  struct stat st {};
  ASSERT_EQ(stat(Path("d/f").c_str(), &st), 0);
  EXPECT_EQ(st.st_nlink, 1u);
  EXPECT_EQ(ReadAll(Path("d/f")), data);
  std::map<std::string, std::string> status = testutil::CtlStatus(mnt_);
  EXPECT_EQ(status["restarts"], "1") << "the crash point was not reached";
  EXPECT_NE(status["inflight_resent"], "0");
  UnmountAndCheck();
}

INSTANTIATE_TEST_SUITE_P(RequestNumbers, CrashAfterReadTest,
                         ::testing::Values(3, 8, 13, 21, 34));

// --- (c) stale inodes after fsck --------------------------------------------

// The server dies; a hook clears the inode of "victim" (debugfs clri),
// e2fsck removes its entry, and debugfs reuses the inode number for a new
// file. The restarted server finds the kernel's inode stale.
TEST_F(CrashTest, InodeRemovedAndReusedByFsckIsStale) {
  std::string new_data = dir_.Join("new-data");
  std::ofstream(new_data) << "the new file's data";
  Mount({});
  // The first inode after lost+found, so debugfs reuses it for the next
  // file it makes.
  std::ofstream(Path("victim")) << "the old file's data";
  std::ofstream(Path("other")) << "untouched";
  struct stat victim {};
  ASSERT_EQ(stat(Path("victim").c_str(), &victim), 0);
  ASSERT_EQ(victim.st_ino, 12u);
  std::string hooks = MakeHooks({{"50-reuse",
      "set -e\n"
      "debugfs -w -R 'clri <12>' \"$EXT4FH_IMAGE\"\n"
      "e2fsck -fy \"$EXT4FH_IMAGE\" || [ $? -le 1 ]\n"
      "debugfs -w -R 'write " + new_data + " newfile' \"$EXT4FH_IMAGE\"\n"}});
  ASSERT_NO_FATAL_FAILURE(UnmountAndCheck());
  Mount({"-o", "fsck_hooks=" + hooks});

  int old_fd = open(Path("victim").c_str(), O_RDONLY);
  ASSERT_GE(old_fd, 0);
  char buf[64];
  ASSERT_GT(read(old_fd, buf, sizeof(buf)), 0);
  int mount_fd = open(mnt_.c_str(), O_RDONLY | O_DIRECTORY);
  alignas(file_handle) char handle_buf[sizeof(file_handle) + MAX_HANDLE_SZ];
  auto* handle = reinterpret_cast<file_handle*>(handle_buf);
  handle->handle_bytes = MAX_HANDLE_SZ;
  int mount_id = 0;
  ASSERT_EQ(name_to_handle_at(AT_FDCWD, Path("victim").c_str(), handle,
                              &mount_id, 0),
            0)
      << strerror(errno);

  ASSERT_NO_FATAL_FAILURE(CrashAndWait());

  struct stat now {};
  ASSERT_EQ(stat(Path("newfile").c_str(), &now), 0) << KeeperLog();
  ASSERT_EQ(now.st_ino, 12u) << "the hook did not reuse the inode";
  EXPECT_EQ(ReadAll(Path("newfile")), "the new file's data");
  // The old fd: an error, never the new file's data.
  ssize_t n = pread(old_fd, buf, sizeof(buf), 0);
  EXPECT_EQ(n, -1) << std::string(buf, std::max<ssize_t>(n, 0));
  EXPECT_THAT(errno, AnyOf(ESTALE, EIO));
  // The old path: what the image holds now.
  EXPECT_EQ(stat(Path("victim").c_str(), &now), -1);
  EXPECT_EQ(errno, ENOENT);
  // The old handle. While anything holds the kernel's (now bad) inode, the
  // kernel answers from it with EIO; the last close hands it back only
  // when the server has answered the asynchronous RELEASE. Once the kernel
  // has dropped it, the server answers: ESTALE.
  close(old_fd);
  int opened = -1, err = EIO;
  for (int i = 0; i < 250 && opened < 0 && err == EIO; ++i) {
    usleep(i == 0 ? 0 : 20000);
    opened = open_by_handle_at(mount_fd, handle, O_RDONLY);
    err = opened < 0 ? errno : 0;
  }
  EXPECT_EQ(opened, -1) << "the old handle opened a file";
  EXPECT_EQ(err, ESTALE) << strerror(err);
  if (opened >= 0) {
    close(opened);
  }
  EXPECT_EQ(ReadAll(Path("other")), "untouched");
  EXPECT_NE(testutil::CtlStatus(mnt_)["stale_inodes_marked"], "0");
  close(mount_fd);
  UnmountAndCheck();
}

// --- (e) the crash-loop limit ------------------------------------------------

TEST_F(CrashTest, CrashLoopLimitUnmounts) {
  Mount({"-o", "crash_limit=3,crash_window=60,nofsck"});
  ASSERT_NO_FATAL_FAILURE(CrashAndWait());
  ASSERT_NO_FATAL_FAILURE(CrashAndWait());
  // The third crash within the window: the keeper gives up and unmounts.
  ASSERT_GT(testutil::SignalServer(mnt_, SIGKILL), 0);
  for (int i = 0; i < 200 && testutil::IsMounted(mnt_); ++i) {
    usleep(50000);
  }
  EXPECT_FALSE(testutil::IsMounted(mnt_));
  EXPECT_EQ(mount_->Unmount(), 1) << "the keeper exits with status 1";
  EXPECT_THAT(KeeperLog(), HasSubstr("too many crashes"));
  EXPECT_EQ(testutil::Fsck(image_).exit_code, 0);
}

TEST_F(CrashTest, HooksGetTheCrashAndTheirVerdictIsFollowed) {
  std::string env_file = dir_.Join("env");
  std::string hooks = MakeHooks(
      {{"50-ro", "env | grep ^EXT4FH_ | sort > " + env_file + "; exit 1"}});
  Mount({"-o", "fsck_hooks=" + hooks});
  std::ofstream(Path("before")) << "written before";
  ASSERT_NO_FATAL_FAILURE(CrashAndWait());
  std::string env = ReadAll(env_file);
  EXPECT_THAT(env, HasSubstr("EXT4FH_REASON=crash\n"));
  EXPECT_THAT(env, HasSubstr("EXT4FH_SIGNAL=9\n"));
  EXPECT_THAT(env, HasSubstr("EXT4FH_IMAGE_STATE=clean\n"))
      << "the shipped e2fsck hook ran first";
  EXPECT_THAT(env, Not(HasSubstr("EXT4FH_MOUNT_VISIBLE")));
  // "read-only": reads go on, changes get EROFS.
  EXPECT_EQ(ReadAll(Path("before")), "written before");
  EXPECT_EQ(open(Path("after").c_str(), O_CREAT | O_WRONLY, 0644), -1);
  EXPECT_EQ(errno, EROFS);
  EXPECT_EQ(testutil::CtlStatus(mnt_)["read_only"], "yes");
  UnmountAndCheck();
}

TEST_F(CrashTest, HookThatSaysStopAfterACrashUnmounts) {
  std::string hooks = MakeHooks({{"50-stop", "exit 2"}});
  Mount({"-o", "fsck_hooks=" + hooks});
  ASSERT_GT(testutil::SignalServer(mnt_, SIGKILL), 0);
  for (int i = 0; i < 200 && testutil::IsMounted(mnt_); ++i) {
    usleep(50000);
  }
  EXPECT_FALSE(testutil::IsMounted(mnt_));
  EXPECT_EQ(mount_->Unmount(), 1);
  EXPECT_THAT(KeeperLog(), HasSubstr("an fsck hook said stop"));
}

// --- (f) cached dentries after a restart -------------------------------------

// With entry_timeout=60 the kernel keeps the dentry of "name" while the
// server is down and a hook changes the image behind it. Only
// FUSE_NOTIFY_INC_EPOCH, which the restarted server sends, makes the next
// path walk look the name up again instead of using the stale dentry.
class EpochCrashTest : public CrashTest,
                       public ::testing::WithParamInterface<const char*> {};

TEST_P(EpochCrashTest, PathWalkAfterRestartSeesTheRepairedImage) {
  bool replace = std::string(GetParam()) == "replace";
  std::string new_data = dir_.Join("new-data");
  std::ofstream(new_data) << "the new file";
  std::string hooks = MakeHooks({{"50-change",
      "set -e\n"
      "debugfs -w -R 'rm name' \"$EXT4FH_IMAGE\"\n" +
      (replace ? "debugfs -w -R 'write " + new_data + " name' \"$EXT4FH_IMAGE\"\n"
               : std::string()) +
      "e2fsck -fy \"$EXT4FH_IMAGE\" || [ $? -le 1 ]\n"}});
  Mount({"-o", "entry_timeout=60,attr_timeout=60," +
                   std::string(replace ? "" : "default_permissions,") +
                   "fsck_hooks=" + hooks});
  std::ofstream(Path("name")) << "the old file";
  struct stat old {};
  ASSERT_EQ(stat(Path("name").c_str(), &old), 0);
  ASSERT_EQ(ReadAll(Path("name")), "the old file");
  ASSERT_NO_FATAL_FAILURE(CrashAndWait());
  struct stat now {};
  if (replace) {
    ASSERT_EQ(stat(Path("name").c_str(), &now), 0) << strerror(errno);
    EXPECT_EQ(ReadAll(Path("name")), "the new file");
    EXPECT_EQ(now.st_size, 12);
  } else {
    EXPECT_EQ(stat(Path("name").c_str(), &now), -1);
    EXPECT_EQ(errno, ENOENT);
  }
  UnmountAndCheck();
}

INSTANTIATE_TEST_SUITE_P(Changes, EpochCrashTest,
                         ::testing::Values("replace", "remove"),
                         [](const auto& info) {
                           return std::string(info.param);
                         });

// --- (g) the fsck hooks ------------------------------------------------------

// An image marked not clean, with an inode that lost its only name (an
// unattached inode, which e2fsck -p refuses to fix): the shipped hook must
// escalate to e2fsck -fy, and the mount goes on with the file in
// lost+found.
TEST_F(CrashTest, ShippedHookEscalatesWhenPreenRefuses) {
  std::string data = dir_.Join("data");
  std::ofstream(data) << "unattached";
  for (const std::string& request : std::vector<std::string>{
           "write " + data + " victim", "unlink victim", "ssv state 0"}) {
    testutil::CommandResult r =
        testutil::Run({"debugfs", "-w", "-R", request, image_}, 60);
    ASSERT_EQ(r.exit_code, 0) << request << ": " << r.err;
  }
  std::string copy = dir_.Join("copy.img");
  ASSERT_EQ(testutil::Run({"cp", image_, copy}).exit_code, 0);
  ASSERT_EQ(testutil::Run({"e2fsck", "-p", copy}, 60).exit_code & 4, 4)
      << "preen should refuse this image";
  std::string env_file = dir_.Join("env");
  std::string hooks = MakeHooks(
      {{"50-env", "env | grep ^EXT4FH_ | sort > " + env_file}});
  Mount({"-o", "fsck_hooks=" + hooks});
  EXPECT_THAT(KeeperLog(), HasSubstr("e2fsck -p left errors (status 4)"));
  std::string env = ReadAll(env_file);
  EXPECT_THAT(env, HasSubstr("EXT4FH_REASON=unclean\n"));
  EXPECT_THAT(env, HasSubstr("EXT4FH_IMAGE_STATE=clean\n"));
  EXPECT_THAT(env, Not(HasSubstr("EXT4FH_SIGNAL")));
  EXPECT_THAT(env, Not(HasSubstr("EXT4FH_EXIT_STATUS")));
  EXPECT_EQ(ReadAll(Path("lost+found/#12")), "unattached");
  UnmountAndCheck();
}

// User hooks run in name order after the shipped one, and each gets the
// image state as it is just before it runs: a hook that marks the image
// not clean is seen by the next one as "not-clean".
TEST_F(CrashTest, UserHooksRunInNameOrderWithTheCurrentImageState) {
  std::string order = dir_.Join("order");
  auto record = [&](const std::string& name) {
    return "echo \"" + name + " $EXT4FH_IMAGE_STATE $EXT4FH_REASON " +
           "${EXT4FH_SIGNAL:-none} ${EXT4FH_EXIT_STATUS:-none}\" >> " + order;
  };
  std::string hooks = MakeHooks(
      {{"30-b", record("30-b") + "\ndebugfs -w -R 'ssv state 0' "
                                 "\"$EXT4FH_IMAGE\" 2>/dev/null"},
       {"20-a", record("20-a")},
       {"40-c", record("40-c") + "\ne2fsck -fy \"$EXT4FH_IMAGE\" >/dev/null; "
                                 "[ $? -le 1 ]"},
       {"99-d", record("99-d")}});
  Mount({"-o", "fsck_hooks=" + hooks});
  ASSERT_NO_FATAL_FAILURE(CrashAndWait());
  EXPECT_EQ(ReadAll(order),
            "20-a clean crash 9 none\n"
            "30-b clean crash 9 none\n"
            "40-c not-clean crash 9 none\n"
            "99-d clean crash 9 none\n");
  UnmountAndCheck();
}

// A server that exits with a status (here 1, "a fault") is restarted like
// one that was killed; the hooks get the status instead of a signal.
TEST_F(CrashTest, HooksGetTheExitStatusOfAServerThatExited) {
  std::string seen = dir_.Join("seen");
  std::string hooks = MakeHooks(
      {{"50-record", "echo \"$EXT4FH_REASON ${EXT4FH_SIGNAL:-none} "
                     "${EXT4FH_EXIT_STATUS:-none}\" >> " + seen}});
  Mount({"-o", "fsck_hooks=" + hooks}, "after-read:3:exit=1");
  for (const char* name : {"a", "b", "c", "d"}) {
    ASSERT_EQ(mkdir(Path(name).c_str(), 0755), 0) << strerror(errno);
  }
  std::map<std::string, std::string> status = testutil::CtlStatus(mnt_);
  EXPECT_EQ(status["restarts"], "1") << "the fault point was not reached";
  EXPECT_EQ(status["last_exit"], "exit 1");
  EXPECT_EQ(ReadAll(seen), "crash none 1\n");
  UnmountAndCheck();
}

}  // namespace
}  // namespace ext4fh
