#include "testutil/mounts.h"

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include "testutil/subprocess.h"

namespace ext4fh::testutil {
namespace {

std::string Unescape(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size()) {
      out.push_back(static_cast<char>(std::stoi(s.substr(i + 1, 3), nullptr, 8)));
      i += 3;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void SleepMs(int ms) {
  std::this_thread::sleep_for(std::chrono::milliseconds(ms));
}

// `fusermount3 -u`, retried while the mount is busy, then `-z`.
void UnmountFuse(const std::string& mountpoint) {
  for (int i = 0; i < 50 && IsMounted(mountpoint); ++i) {
    Run({"fusermount3", "-u", mountpoint}, 10);
    if (IsMounted(mountpoint)) {
      SleepMs(100);
    }
  }
  if (IsMounted(mountpoint)) {
    Run({"fusermount3", "-u", "-z", mountpoint}, 10);
  }
}

}  // namespace

std::string Ext4fhBinary() {
  const char* env = std::getenv("EXT4FH_BINARY");
  return env && *env ? env : EXT4FH_BINARY_PATH;
}

bool IsMounted(const std::string& path) {
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

bool FuseAvailable() {
  return access("/dev/fuse", R_OK | W_OK) == 0 &&
         (access("/usr/bin/fusermount3", X_OK) == 0 ||
          access("/bin/fusermount3", X_OK) == 0);
}

bool KernelMountAvailable() {
  return geteuid() == 0 && access("/dev/loop-control", R_OK) == 0;
}

std::unique_ptr<Ext4fhMount> Ext4fhMount::Start(
    const std::string& image, const std::string& mountpoint,
    const std::vector<std::string>& options, std::string* error) {
  std::string log = mountpoint + ".log";
  std::vector<std::string> argv = {Ext4fhBinary(), "-f"};
  argv.insert(argv.end(), options.begin(), options.end());
  argv.push_back(image);
  argv.push_back(mountpoint);
  pid_t pid = Spawn(argv, log);
  std::unique_ptr<Ext4fhMount> mount(new Ext4fhMount(mountpoint, pid, log));
  for (int waited = 0; waited < 20000; waited += 10) {
    if (IsMounted(mountpoint)) {
      struct stat st {};
      if (stat(mountpoint.c_str(), &st) == 0) {
        return mount;
      }
    }
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) {
      mount->keeper_ = -1;
      mount->unmounted_ = true;
      *error = "keeper exited with " + std::to_string(WEXITSTATUS(status)) +
               ": " + ReadFile(log);
      return nullptr;
    }
    SleepMs(10);
  }
  *error = "mount did not appear: " + ReadFile(log);
  return nullptr;  // the destructor cleans up
}

int Ext4fhMount::Unmount() {
  if (unmounted_) {
    return 0;
  }
  unmounted_ = true;
  UnmountFuse(mountpoint_);
  if (keeper_ <= 0) {
    return 0;
  }
  int status = WaitFor(keeper_, 20000);
  if (status == -1) {
    kill(keeper_, SIGKILL);
    WaitFor(keeper_, 5000);
    keeper_ = -1;
    return -1;
  }
  keeper_ = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

Ext4fhMount::~Ext4fhMount() {
  Unmount();
}

bool UnmountDetached(const std::string& mountpoint) {
  UnmountFuse(mountpoint);
  for (int waited = 0; waited < 20000; waited += 50) {
    if (ProcessesWith(mountpoint).empty()) {
      return true;
    }
    SleepMs(50);
  }
  for (pid_t pid : ProcessesWith(mountpoint)) {
    kill(pid, SIGKILL);
  }
  return false;
}

std::unique_ptr<KernelMount> KernelMount::Start(const std::string& image,
                                                const std::string& mountpoint,
                                                bool read_only,
                                                std::string* error) {
  std::string opts = read_only ? "loop,ro" : "loop";
  CommandResult r = Run({"mount", "-o", opts, image, mountpoint}, 60);
  if (r.exit_code != 0) {
    *error = r.err;
    return nullptr;
  }
  return std::unique_ptr<KernelMount>(new KernelMount(mountpoint));
}

bool KernelMount::Unmount() {
  if (unmounted_) {
    return true;
  }
  unmounted_ = true;
  for (int i = 0; i < 20 && IsMounted(mountpoint_); ++i) {
    Run({"umount", mountpoint_}, 30);
    if (IsMounted(mountpoint_)) {
      SleepMs(100);
    }
  }
  if (IsMounted(mountpoint_)) {
    Run({"umount", "-l", mountpoint_}, 30);
    return false;
  }
  return true;
}

KernelMount::~KernelMount() {
  Unmount();
}

}  // namespace ext4fh::testutil
