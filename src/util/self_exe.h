#pragma once

#include <string>

namespace ext4fh {

// The path of the running executable, for starting it again. When the file
// was replaced since (an upgrade), this is the path, which now names the
// new binary: /proc/self/exe would say "PATH (deleted)".
std::string SelfExecutable();

}  // namespace ext4fh
