#pragma once

// The differential suite's cases: syscall scripts (testutil/syscall_script.h)
// that run in a fresh copy of the fixture directory below, once as root and
// once as nobody, on the kernel's ext4 and on ext4fh.

#include <string>
#include <vector>

namespace ext4fh {

struct DiffCase {
  const char* name;
  std::vector<std::string> steps;
  // Transcript lines the kernel's ext4 shows and ext4fh cannot, each with
  // the FUSE limitation that explains it (see docs/differences.md). The
  // test checks that each one is really there, then compares the rest.
  std::vector<std::string> kernel_only = {};
};

// Steps (run as root) that build the fixture in an empty directory.
const std::vector<std::string>& FixtureSteps();

// Every case.
const std::vector<DiffCase>& DiffCases();

}  // namespace ext4fh
