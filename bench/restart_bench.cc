// restart_bench: how long a mount is out of service when its server is
// replaced (issue 4: target under 100 ms from kill to the first answered
// request, without fsck).
//
//   ext4fh crash     SIGKILL the server; a stat() issued once it is dead
//                    waits for the keeper's new server (-o nofsck, and
//                    crash_window=0 so that no crash backoff applies)
//   ext4fh planned   `ext4fh ctl restart`, then a stat()
//   ext4fh remount   umount, mount again, stat()
//   fuse2fs remount  SIGKILL fuse2fs, which loses the mount; unmount,
//                    start fuse2fs again, stat()
//   kernel remount   umount the ext4 loop mount, mount again, stat()
//
// The peers cannot restart in place; a remount is what their users do.
// Every stat() bypasses the caches (attr_timeout=0, or a new mount).
// Prints the median of each and the ratios. Needs root.
//
// Usage: restart_bench EXT4FH_BINARY [RUNS]

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <map>
#include <string>
#include <thread>
#include <vector>

// glibc 2.36's <sys/pidfd.h> lacks C++ linkage guards.
extern "C" {
#include <sys/pidfd.h>
}
#include <poll.h>

#include "testutil/keeper_ctl.h"
#include "testutil/mounts.h"
#include "testutil/subprocess.h"
#include "testutil/temp_dir.h"

namespace ext4fh {
namespace {

using Clock = std::chrono::steady_clock;
using testutil::Run;

double MsSince(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

// stat() until it succeeds (a lost mount answers ENOTCONN at first).
bool StatUntilAnswered(const std::string& path, int timeout_ms = 30000) {
  auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  struct stat st;
  while (stat(path.c_str(), &st) != 0) {
    if (Clock::now() > deadline) {
      return false;
    }
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  return true;
}

void WaitForExit(pid_t pid) {
  int fd = pidfd_open(pid, 0);
  if (fd >= 0) {
    pollfd p{fd, POLLIN, 0};
    poll(&p, 1, 10000);
    close(fd);
  }
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

class Bench {
 public:
  Bench(std::string ext4fh, int runs) : ext4fh_(std::move(ext4fh)), runs_(runs) {}

  int Main() {
    if (!MakeImage()) {
      return 1;
    }
    Measure("ext4fh crash", [&] { return Ext4fhCrash(); });
    Measure("ext4fh planned", [&] { return Ext4fhPlanned(); });
    Measure("ext4fh remount", [&] { return Ext4fhRemount(); });
    Measure("fuse2fs remount", [&] { return Fuse2fsRemount(); });
    Measure("kernel remount", [&] { return KernelRemount(); });
    Report();
    return 0;
  }

 private:
  bool MakeImage() {
    image_ = dir_.Join("fs.img");
    mnt_ = dir_.Join("mnt");
    mkdir(mnt_.c_str(), 0755);
    std::string seed = dir_.Join("seed");
    mkdir(seed.c_str(), 0755);
    Run({"sh", "-c", "echo data > " + seed + "/file"});
    testutil::CommandResult r =
        Run({"mke2fs", "-q", "-F", "-t", "ext4", "-d", seed, image_, "256M"});
    if (r.exit_code != 0) {
      std::fprintf(stderr, "mke2fs failed: %s\n", r.err.c_str());
      return false;
    }
    return true;
  }

  // Runs `one` (a list of timings, empty on failure) and keeps the results.
  void Measure(const std::string& name,
               const std::function<std::vector<double>()>& one) {
    std::vector<double> times = one();
    if (times.empty()) {
      std::printf("%-16s  failed\n", name.c_str());
    }
    results_[name] = times;
  }

  // `extra`: more -o options.
  bool MountExt4fh(const std::string& extra = "") {
    std::string error;
    mount_ = testutil::Ext4fhMount::Start(
        image_, mnt_, {"-o", "nofsck,attr_timeout=0,entry_timeout=0" + extra},
        &error);
    if (!mount_) {
      std::fprintf(stderr, "ext4fh mount failed: %s\n", error.c_str());
    }
    return mount_ != nullptr && StatUntilAnswered(mnt_ + "/file");
  }

  std::vector<double> Ext4fhCrash() {
    std::vector<double> times;
    // No crash limit and no backoff: every kill is a first crash (the
    // keeper waits 100 ms and more before restarting after repeated ones).
    if (!MountExt4fh(",crash_window=0")) {
      return times;
    }
    for (int i = 0; i < runs_; ++i) {
      pid_t server = testutil::ServingServerPid(mnt_);
      auto t0 = Clock::now();
      kill(server, SIGKILL);
      WaitForExit(server);
      if (!StatUntilAnswered(mnt_ + "/file")) {
        return {};
      }
      times.push_back(MsSince(t0));
      testutil::WaitForNewServer(mnt_, server);  // settle before the next
    }
    mount_->Unmount();
    return times;
  }

  std::vector<double> Ext4fhPlanned() {
    std::vector<double> times;
    if (!MountExt4fh()) {
      return times;
    }
    for (int i = 0; i < runs_; ++i) {
      auto t0 = Clock::now();
      if (Run({ext4fh_, "ctl", "restart", mnt_}).exit_code != 0 ||
          !StatUntilAnswered(mnt_ + "/file")) {
        return {};
      }
      times.push_back(MsSince(t0));
    }
    mount_->Unmount();
    return times;
  }

  std::vector<double> Ext4fhRemount() {
    std::vector<double> times;
    for (int i = 0; i < runs_; ++i) {
      if (!MountExt4fh()) {
        return {};
      }
      auto t0 = Clock::now();
      mount_->Unmount();
      if (!MountExt4fh()) {
        return {};
      }
      times.push_back(MsSince(t0));
      mount_->Unmount();
    }
    return times;
  }

  std::vector<double> Fuse2fsRemount() {
    std::vector<double> times;
    auto start = [&] {
      return testutil::Spawn({"fuse2fs", "-f", image_, mnt_, "-o", "fakeroot"},
                             dir_.Join("fuse2fs.log"));
    };
    pid_t pid = start();
    if (!StatUntilAnswered(mnt_ + "/file")) {
      return times;
    }
    for (int i = 0; i < runs_; ++i) {
      auto t0 = Clock::now();
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
      Run({"umount", "-l", mnt_});
      // fuse2fs refuses an image that was not unmounted cleanly only with
      // errors; a killed one leaves it "not clean", which it mounts.
      pid = start();
      if (!StatUntilAnswered(mnt_ + "/file")) {
        return {};
      }
      times.push_back(MsSince(t0));
    }
    Run({"umount", mnt_});
    waitpid(pid, nullptr, 0);
    Run({"e2fsck", "-fy", image_});  // fuse2fs was killed
    return times;
  }

  std::vector<double> KernelRemount() {
    std::vector<double> times;
    for (int i = 0; i < runs_; ++i) {
      std::string error;
      auto kernel = testutil::KernelMount::Start(image_, mnt_, false, &error);
      if (!kernel) {
        std::fprintf(stderr, "kernel mount failed: %s\n", error.c_str());
        return {};
      }
      auto t0 = Clock::now();
      kernel->Unmount();
      kernel = testutil::KernelMount::Start(image_, mnt_, false, &error);
      if (!kernel || !StatUntilAnswered(mnt_ + "/file")) {
        return {};
      }
      times.push_back(MsSince(t0));
    }
    return times;
  }

  void Report() {
    std::printf("\nrestart_bench: %d runs each; milliseconds from the kill "
                "(or the unmount or ctl restart) to the first answered stat\n\n",
                runs_);
    std::printf("%-16s %10s %10s %10s\n", "", "median", "min", "max");
    for (const auto& [name, times] : results_) {
      if (times.empty()) {
        continue;
      }
      std::printf("%-16s %10.1f %10.1f %10.1f\n", name.c_str(), Median(times),
                  *std::min_element(times.begin(), times.end()),
                  *std::max_element(times.begin(), times.end()));
    }
    double crash = Median(results_["ext4fh crash"]);
    std::printf("\nratios (median / ext4fh crash):\n");
    for (const auto& [name, times] : results_) {
      if (!times.empty() && crash > 0) {
        std::printf("  %-16s %6.2fx\n", name.c_str(), Median(times) / crash);
      }
    }
    std::printf("\ntarget: ext4fh crash < 100 ms: %s\n",
                crash > 0 && crash < 100 ? "met" : "NOT met");
  }

  std::string ext4fh_;
  int runs_;
  testutil::TempDir dir_;
  std::string image_, mnt_;
  std::unique_ptr<testutil::Ext4fhMount> mount_;
  std::map<std::string, std::vector<double>> results_;
};

}  // namespace
}  // namespace ext4fh

int main(int argc, char** argv) {
  if (argc < 2 || geteuid() != 0) {
    std::fprintf(stderr, "usage (as root): restart_bench EXT4FH [RUNS]\n");
    return 2;
  }
  int runs = argc > 2 ? std::atoi(argv[2]) : 21;
  return ext4fh::Bench(argv[1], runs).Main();
}
