#pragma once

// `ext4fh ctl VERB MOUNTPOINT`: the client side of keeper/control.h.

#include <string>

namespace ext4fh {

// Asks the keeper of `mountpoint` `verb`, prints its answer (errors to
// stderr) and returns an ExitCode: kExitOk, kExitMountpoint when no keeper
// serves it, kExitFailure when the keeper reports an error.
int RunCtl(const std::string& verb, const std::string& mountpoint);

}  // namespace ext4fh
