#pragma once

// Running a piece of a test as another user.

#include <sys/types.h>

#include <functional>
#include <string>

namespace ext4fh::testutil {

// Forks, drops to `uid`/`gid` with no supplementary groups, runs `fn`, and
// returns what it returned. REQUIRES: the caller is root.
std::string RunAs(uid_t uid, gid_t gid, const std::function<std::string()>& fn);

inline constexpr uid_t kNobody = 65534;

}  // namespace ext4fh::testutil
