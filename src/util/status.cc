#include "util/status.h"

#include <cstring>

namespace ext4fh {

std::string Status::ToString() const {
  if (ok()) {
    return "OK";
  }
  std::string reason = std::strerror(err_);
  return context_.empty() ? reason : context_ + ": " + reason;
}

}  // namespace ext4fh
