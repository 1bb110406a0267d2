#include "keeper/ctl.h"

#include <iostream>
#include <sstream>

#include "keeper/config.h"
#include "keeper/control.h"

namespace ext4fh {

int RunCtl(const std::string& verb, const std::string& mountpoint) {
  Result<std::string> answer = AskKeeper(mountpoint, verb);
  if (!answer.ok()) {
    std::cerr << "ext4fh: " << answer.status().context() << "\n";
    return answer.err() == ENOENT ? kExitMountpoint : kExitFailure;
  }
  if (answer->empty()) {
    std::cerr << "ext4fh: the keeper of " << mountpoint
              << " closed the connection without an answer\n";
    return kExitFailure;
  }
  int code = kExitOk;
  std::istringstream lines(*answer);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.starts_with("error: ")) {
      std::cerr << "ext4fh: " << line.substr(7) << "\n";
      code = kExitFailure;
    } else {
      std::cout << line << "\n";
    }
  }
  return code;
}

}  // namespace ext4fh
