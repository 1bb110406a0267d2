#pragma once

// The differential suite's cases: syscall scripts (testutil/syscall_script.h)
// that run in a fresh copy of the fixture directory below, once as root and
// once as nobody, on the kernel's ext4 and on ext4fh.

#include <string>
#include <vector>

namespace ext4fh {

// Who runs a case, and against which ext4fh mount: root, and nobody on a
// mount with default_permissions (the kernel checks permissions) and on one
// without (ext4fh checks them).
enum class Variant { kRoot, kNobody, kNobodyServerChecks };

// A set of variants, as a bit mask.
constexpr unsigned VariantBit(Variant v) {
  return 1u << static_cast<unsigned>(v);
}
inline constexpr unsigned kAllVariants = 7;
inline constexpr unsigned kNobodyVariants =
    VariantBit(Variant::kNobody) | VariantBit(Variant::kNobodyServerChecks);

struct DiffCase {
  const char* name;
  std::vector<std::string> steps;
  // Transcript lines the kernel's ext4 shows and ext4fh cannot, each with
  // the FUSE limitation that explains it (see docs/differences.md). The
  // test checks that each one is really there, then compares the rest.
  std::vector<std::string> kernel_only = {};
  // The lines ext4fh shows instead of them, when it shows any; the test
  // checks that each one is there too.
  std::vector<std::string> fuse_only = {};
  // The variants in which those differences show; in the others the
  // transcripts must match in full.
  unsigned differs_in = kAllVariants;
  // The group of related cases (mkdir, rename, ...) the case is in; set by
  // DiffCases(). After the last case of a group, e2fsck -fn checks the
  // ext4fh images, so that a case that damages one is pinpointed.
  std::string group = {};
};

// Steps (run as root) that build the fixture in an empty directory.
const std::vector<std::string>& FixtureSteps();

// Every case, group after group.
const std::vector<DiffCase>& DiffCases();

}  // namespace ext4fh
