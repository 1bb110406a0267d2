#include "testutil/leak_check.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>

#include "testutil/subprocess.h"
#include "testutil/temp_dir.h"

namespace ext4fh::testutil {
namespace {

// Whether `text` names a path inside a temp dir this process made (other
// test binaries may be running beside it, with temp dirs of their own).
bool MentionsTestDir(std::string_view text) {
  for (const std::string& dir : TempDirsMade()) {
    if (text.find(dir + "/") != std::string_view::npos) return true;
  }
  return false;
}

// Lines of `text` that mention one of this process's temp dirs.
std::string TestDirLines(const std::string& text) {
  std::istringstream in(text);
  std::string line, found;
  while (std::getline(in, line)) {
    if (MentionsTestDir(line)) found += line + "\n";
  }
  return found;
}

std::string TestMounts() {
  std::ifstream in("/proc/self/mounts");
  return TestDirLines(std::string(std::istreambuf_iterator<char>(in), {}));
}

// Loop devices backed by a file in one of this process's temp dirs.
std::string TestLoopDevices() {
  return TestDirLines(Run({"losetup", "-l", "-n", "-O", "NAME,BACK-FILE"}).out);
}

// The command line of process `pid`, arguments separated by spaces.
std::string CommandLineOf(const std::filesystem::path& proc_dir) {
  std::ifstream in(proc_dir / "cmdline");
  std::string line(std::istreambuf_iterator<char>(in), {});
  std::replace(line.begin(), line.end(), '\0', ' ');
  return line;
}

std::string CommandNameOf(const std::filesystem::path& proc_dir) {
  std::ifstream in(proc_dir / "comm");
  std::string name;
  std::getline(in, name);
  return name;
}

// ext4fh processes (keepers and servers) whose command line names one of
// this process's temp dirs, and ext4fh children of this process.
std::string TestServers() {
  std::string found;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    std::error_code ec;
    if (!entry.is_directory(ec) || CommandNameOf(entry.path()) != "ext4fh") continue;
    std::string cmdline = CommandLineOf(entry.path());
    if (MentionsTestDir(cmdline)) {
      found += entry.path().filename().string() + " " + cmdline + "\n";
    }
  }
  return found + Run({"pgrep", "-a", "-P", std::to_string(getpid()), "ext4fh"}).out;
}

class LeakCheck : public ::testing::Environment {
 public:
  void TearDown() override {
    EXPECT_EQ(TestMounts(), "") << "mounts left behind";
    EXPECT_EQ(TestLoopDevices(), "") << "loop devices left behind";
    EXPECT_EQ(TestServers(), "") << "ext4fh processes left behind";
  }
};

}  // namespace

void RegisterLeakCheck() {
  ::testing::AddGlobalTestEnvironment(new LeakCheck);
}

}  // namespace ext4fh::testutil
