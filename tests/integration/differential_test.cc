// The differential suite (issue: read-write): every case runs the same
// syscall script on the kernel's ext4 (loop mount) and on ext4fh, on
// identical images, as root and as nobody, and the transcripts (results,
// errnos, resulting stats, which timestamps moved) must match. Nobody runs
// twice: once against ext4fh with default_permissions (the kernel checks
// permissions) and once without (ext4fh checks them). At the end every
// image must be clean for e2fsck -fn.

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <memory>
#include <tuple>

#include "differential_cases.h"
#include "testutil/images.h"
#include "testutil/leak_check.h"
#include "testutil/mounts.h"
#include "testutil/run_as.h"
#include "testutil/syscall_script.h"
#include "testutil/temp_dir.h"

namespace ext4fh {
namespace {

using testutil::Ext4fhMount;
using testutil::KernelMount;

enum class Variant { kRoot, kNobody, kNobodyServerChecks };

// The mounts, shared by every case of the run.
struct Mounts {
  testutil::TempDir dir;
  std::unique_ptr<KernelMount> kernel;
  std::unique_ptr<Ext4fhMount> fuse;         // default_permissions
  std::unique_ptr<Ext4fhMount> fuse_server;  // ext4fh checks permissions
  std::string error;
};

Mounts* g_mounts = nullptr;

std::string MakeDir(Mounts& m, const std::string& name) {
  std::string path = m.dir.Join(name);
  mkdir(path.c_str(), 0755);
  return path;
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
std::string RunCase(const std::string& root, const std::string& dir,
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
  for (const std::string& line : c.kernel_only) {
    size_t at = expected.find(line + "\n");
    ASSERT_NE(at, std::string::npos) << "known difference not seen: " << line;
    expected.erase(at, line.size() + 1);
  }
  EXPECT_EQ(expected, actual) << "case " << c.name;
}

std::string Name(const ::testing::TestParamInfo<std::tuple<size_t, Variant>>& info) {
  static const char* kVariants[] = {"root", "nobody", "nobody_nodefperm"};
  return std::string(DiffCases()[std::get<0>(info.param)].name) + "_" +
         kVariants[static_cast<int>(std::get<1>(info.param))];
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
