#pragma once

// Running a piece of a test as another user.

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <string>

namespace ext4fh::testutil {

// Forks, drops to `uid`/`gid` with no supplementary groups, runs `fn`, and
// returns what it returned. `caps` (a mask of 1 << CAP_*) are the
// capabilities kept, effective and permitted; all others are dropped.
// REQUIRES: the caller is root.
std::string RunAs(uid_t uid, gid_t gid, const std::function<std::string()>& fn,
                  uint64_t caps = 0);

inline constexpr uid_t kNobody = 65534;

}  // namespace ext4fh::testutil
