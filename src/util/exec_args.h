#pragma once

// argv and envp arrays for execve(2), built before fork() so the child
// only calls async-signal-safe functions.

#include <string>
#include <vector>

namespace ext4fh {

// Pointers to the strings, then a null. The strings must outlive the
// result and must not change.
std::vector<char*> ExecArray(std::vector<std::string>& strings);

}  // namespace ext4fh
