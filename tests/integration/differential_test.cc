// The differential suite (issue: read-write): every case runs the same
// syscall script on the kernel's ext4 (loop mount) and on ext4fh, on
// identical images, as root and as nobody, and the transcripts (results,
// errnos, resulting stats, which timestamps moved) must match. Nobody runs
// twice: once against ext4fh with default_permissions (the kernel checks
// permissions) and once without (ext4fh checks them). After the last case
// of each group (differential_cases.h) the ext4fh images must be clean for
// e2fsck -fn, and at the end every image must be.

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <memory>
#include <set>
#include <thread>
#include <tuple>

#include "differential_cases.h"
#include "testutil/images.h"
#include "testutil/leak_check.h"
#include "testutil/mounts.h"
#include "testutil/run_as.h"
#include "testutil/subprocess.h"
#include "testutil/syscall_script.h"
#include "testutil/temp_dir.h"

namespace ext4fh {
namespace {

using testutil::Ext4fhMount;
using testutil::KernelMount;

// The mounts, shared by every case of the run.
struct Mounts {
  testutil::TempDir dir;
  std::unique_ptr<KernelMount> kernel;
  std::unique_ptr<Ext4fhMount> fuse;         // default_permissions
  std::unique_ptr<Ext4fhMount> fuse_server;  // ext4fh checks permissions
  std::string error;
  std::set<std::string> damaged;  // images e2fsck found damaged already
};

Mounts* g_mounts = nullptr;

std::string MakeDir(Mounts& m, const std::string& name) {
  std::string path = m.dir.Join(name);
  mkdir(path.c_str(), 0755);
  return path;
}

// Puts /existing (0644, with generation 0x5eed1234) on the image that
// every mount copies: the one file whose generation both sides share.
void AddExistingFile(const std::string& image) {
  testutil::CommandResult r = testutil::Run(
      {"debugfs", "-w", "-R", "write /dev/null existing", image});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* cmd : {"sif existing generation 0x5eed1234",
                          "sif existing mode 0100644"}) {
    r = testutil::Run({"debugfs", "-w", "-R", cmd, image});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
}

class MountsEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    if (!testutil::FuseAvailable() || !testutil::KernelMountAvailable()) {
      return;
    }
    g_mounts = new Mounts;
    Mounts& m = *g_mounts;
    chmod(m.dir.path().c_str(), 0755);  // nobody must reach the mounts
    std::string base = m.dir.Join("base.img");
    testutil::MakeFs(base, {"-t", "ext4", "-b", "4096"}, "", "512M");
    AddExistingFile(base);
    for (const char* name : {"kernel.img", "fuse.img", "fuse2.img"}) {
      testutil::CopyImage(base, m.dir.Join(name));
    }
    m.kernel = KernelMount::Start(m.dir.Join("kernel.img"), MakeDir(m, "k"),
                                  false, &m.error);
    m.fuse = Ext4fhMount::Start(m.dir.Join("fuse.img"), MakeDir(m, "f"),
                                {"-o", "allow_other,default_permissions"},
                                &m.error);
    m.fuse_server = Ext4fhMount::Start(m.dir.Join("fuse2.img"), MakeDir(m, "g"),
                                       {"-o", "allow_other"}, &m.error);
  }

  void TearDown() override {
    if (g_mounts == nullptr) {
      return;
    }
    Mounts& m = *g_mounts;
    if (m.kernel) {
      EXPECT_TRUE(m.kernel->Unmount());
    }
    for (auto* fuse : {&m.fuse, &m.fuse_server}) {
      if (*fuse) {
        EXPECT_EQ((*fuse)->Unmount(), 0) << "keeper exit";
      }
    }
    for (const char* name : {"kernel.img", "fuse.img", "fuse2.img"}) {
      testutil::CommandResult r = testutil::Fsck(m.dir.Join(name));
      EXPECT_EQ(r.exit_code, 0) << name << ":\n" << r.out << r.err;
    }
    delete g_mounts;
    g_mounts = nullptr;
  }
};

// Builds the fixture in a fresh directory of `root` and runs the case in
// it as the variant's user.
std::string RunCaseSteps(const std::string& root, const std::string& dir,
                         const DiffCase& c, Variant variant) {
  std::string where = root + "/" + dir;
  mkdir(where.c_str(), 0777);
  chmod(where.c_str(), 0777);
  std::string fixture = testutil::RunScript(where, FixtureSteps());
  if (fixture.find("=> E") != std::string::npos) {
    return "fixture failed:\n" + fixture;
  }
  if (variant == Variant::kRoot) {
    return testutil::RunScript(where, c.steps);
  }
  std::string reach = testutil::RunAs(testutil::kNobody, testutil::kNobody, [&] {
    return testutil::RunScript(where, {"stat ."});
  });
  if (reach.find("=> mode=") == std::string::npos) {
    return "nobody cannot reach the case directory: " + reach;
  }
  return testutil::RunAs(testutil::kNobody, testutil::kNobody,
                         [&] { return testutil::RunScript(where, c.steps); });
}

// The case's transcript, then the whole case directory as root sees it
// (as a `tree .` step shows it): a failed call must leave it as the
// kernel's ext4 does.
std::string RunCase(const std::string& root, const std::string& dir,
                    const DiffCase& c, Variant variant) {
  std::string transcript = RunCaseSteps(root, dir, c, variant);
  return transcript + "post-state: " +
         testutil::RunScript(root + "/" + dir, {"tree ."});
}

const char* const kVariantNames[] = {"root", "nobody", "nobody_nodefperm"};

std::string TestName(size_t index, Variant variant) {
  return std::string(DiffCases()[index].name) + "_" +
         kVariantNames[static_cast<int>(variant)];
}

// The group of the case a test runs, by the test's name
// ("MatchesTheKernel/<case>_<variant>").
const std::string& GroupOfTest(const std::string& full_name) {
  const std::string test_name = full_name.substr(full_name.rfind('/') + 1);
  static const std::map<std::string, std::string> kGroups = [] {
    std::map<std::string, std::string> groups;
    for (size_t i = 0; i < DiffCases().size(); ++i) {
      for (Variant v : {Variant::kRoot, Variant::kNobody,
                        Variant::kNobodyServerChecks}) {
        groups[TestName(i, v)] = DiffCases()[i].group;
      }
    }
    return groups;
  }();
  static const std::string kUnknown = "?";
  auto it = kGroups.find(test_name);
  return it == kGroups.end() ? kUnknown : it->second;
}

// Whether the running test is the last one of its group that this run
// runs (in registration order, which is the order GoogleTest runs them in
// unless shuffling).
bool LastOfItsGroup() {
  const ::testing::UnitTest& unit = *::testing::UnitTest::GetInstance();
  const ::testing::TestInfo* current = unit.current_test_info();
  const ::testing::TestSuite* suite = unit.current_test_suite();
  const std::string& group = GroupOfTest(current->name());
  bool after = false;
  for (int i = 0; i < suite->total_test_count(); ++i) {
    const ::testing::TestInfo* t = suite->GetTestInfo(i);
    if (after && t->should_run() && GroupOfTest(t->name()) == group) {
      return false;
    }
    after = after || t == current;
  }
  return true;
}

// e2fsck -fn on an ext4fh image while it is mounted. A file closed at the
// end of a case is released (and an unlinked one freed) asynchronously,
// and while it is an orphan a read-only e2fsck counts it as an error: so a
// failure is retried for up to 3 s before it counts.
testutil::CommandResult FsckMounted(const std::string& image) {
  testutil::CommandResult r;
  for (int tries = 0; tries < 30; ++tries) {
    r = testutil::Fsck(image);
    if (r.exit_code == 0) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return r;
}

class DifferentialTest
    : public ::testing::TestWithParam<std::tuple<size_t, Variant>> {
 protected:
  void SetUp() override {
    if (g_mounts == nullptr) {
      GTEST_SKIP() << "needs root, /dev/fuse and loop devices";
    }
    ASSERT_TRUE(g_mounts->kernel && g_mounts->fuse && g_mounts->fuse_server)
        << g_mounts->error;
  }

  // After the last case of a group: both ext4fh images must be clean, so
  // a case that damages one is found within its group (an image found
  // damaged is reported once, and again at the end).
  void TearDown() override {
    if (g_mounts == nullptr || !LastOfItsGroup()) {
      return;
    }
    const std::string& group = GroupOfTest(
        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    for (const char* name : {"fuse.img", "fuse2.img"}) {
      if (g_mounts->damaged.count(name) != 0) {
        continue;
      }
      testutil::CommandResult r = FsckMounted(g_mounts->dir.Join(name));
      EXPECT_EQ(r.exit_code, 0) << "e2fsck -fn " << name
                                << " after the cases of group " << group
                                << ":\n" << r.out << r.err;
      if (r.exit_code != 0) {
        g_mounts->damaged.insert(name);
      }
    }
  }
};

TEST_P(DifferentialTest, MatchesTheKernel) {
  auto [index, variant] = GetParam();
  const DiffCase& c = DiffCases()[index];
  std::string dir = std::to_string(static_cast<int>(variant)) + "_" + c.name;
  std::string expected = RunCase(g_mounts->kernel->path(), dir, c, variant);
  ASSERT_TRUE(expected.starts_with("#0 ")) << expected;
  const Ext4fhMount& fuse = variant == Variant::kNobodyServerChecks
                                ? *g_mounts->fuse_server
                                : *g_mounts->fuse;
  std::string actual = RunCase(fuse.path(), dir, c, variant);
  if (c.differs_in & VariantBit(variant)) {
    for (const std::string& line : c.kernel_only) {
      size_t at = expected.find(line + "\n");
      ASSERT_NE(at, std::string::npos) << "known difference not seen: " << line;
      expected.erase(at, line.size() + 1);
    }
    for (const std::string& line : c.fuse_only) {
      size_t at = actual.find(line + "\n");
      EXPECT_NE(at, std::string::npos)
          << "ext4fh no longer shows the known difference: " << line;
      if (at != std::string::npos) {
        actual.erase(at, line.size() + 1);
      }
    }
  }
  EXPECT_EQ(expected, actual) << "case " << c.name;
}

std::string Name(const ::testing::TestParamInfo<std::tuple<size_t, Variant>>& info) {
  return TestName(std::get<0>(info.param), std::get<1>(info.param));
}

INSTANTIATE_TEST_SUITE_P(
    Cases, DifferentialTest,
    ::testing::Combine(::testing::Range<size_t>(0, DiffCases().size()),
                       ::testing::Values(Variant::kRoot, Variant::kNobody,
                                         Variant::kNobodyServerChecks)),
    Name);

}  // namespace
}  // namespace ext4fh

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  // Environments tear down in reverse: the mounts go before the leak check.
  ext4fh::testutil::RegisterLeakCheck();
  ::testing::AddGlobalTestEnvironment(new ext4fh::MountsEnvironment);
  return RUN_ALL_TESTS();
}
