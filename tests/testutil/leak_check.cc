#include "testutil/leak_check.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>

#include "testutil/subprocess.h"

namespace ext4fh::testutil {
namespace {

// Every temp dir of a test (testutil::TempDir) has this in its path.
constexpr std::string_view kTestDirMark = "/ext4fh-test.";

bool MentionsTestDir(std::string_view text) {
  return text.find(kTestDirMark) != std::string_view::npos;
}

// Lines of `text` that mention a test temp dir.
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

// Loop devices backed by a file in a test temp dir.
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

// ext4fh processes (keepers and servers) whose command line names a test
// temp dir, and ext4fh children of this process.
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
