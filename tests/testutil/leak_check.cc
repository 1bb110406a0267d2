#include "testutil/leak_check.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "testutil/subprocess.h"

namespace ext4fh::testutil {
namespace {

// Mounts whose mountpoint lies in a test temp dir.
std::string TestMounts() {
  std::ifstream in("/proc/self/mounts");
  std::string line, found;
  while (std::getline(in, line)) {
    if (line.find("/ext4fh-test.") != std::string::npos) {
      found += line + "\n";
    }
  }
  return found;
}

// ext4fh processes whose parent is this test process.
std::string ChildServers() {
  CommandResult r = Run({"pgrep", "-a", "-P", std::to_string(getpid()), "ext4fh"});
  return r.out;
}

class LeakCheck : public ::testing::Environment {
 public:
  void TearDown() override {
    EXPECT_EQ(TestMounts(), "") << "mounts left behind";
    EXPECT_EQ(ChildServers(), "") << "ext4fh processes left behind";
  }
};

}  // namespace

void RegisterLeakCheck() {
  ::testing::AddGlobalTestEnvironment(new LeakCheck);
}

}  // namespace ext4fh::testutil
