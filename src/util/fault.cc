#include "util/fault.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <string>

namespace ext4fh {
namespace {

struct FaultSpec {
  std::string point;
  long hit = 1;
  int exit_status = -1;  // -1: SIGKILL
};

const FaultSpec* Spec() {
  static const FaultSpec* spec = [] () -> const FaultSpec* {
    const char* env = std::getenv("EXT4FH_FAULT");
    if (env == nullptr || *env == '\0') {
      return nullptr;
    }
    auto* s = new FaultSpec;
    const char* colon = std::strchr(env, ':');
    s->point = colon ? std::string(env, colon - env) : std::string(env);
    s->hit = colon ? std::atol(colon + 1) : 1;
    const char* exit = std::strstr(env, ":exit=");
    if (exit != nullptr) {
      s->exit_status = std::atoi(exit + std::strlen(":exit="));
    }
    return s;
  }();
  return spec;
}

}  // namespace

void CrashPoint(const char* point) {
  const FaultSpec* spec = Spec();
  if (spec == nullptr || spec->point != point) {
    return;
  }
  static std::atomic<long> hits{0};
  if (++hits != spec->hit) {
    return;
  }
  if (spec->exit_status >= 0) {
    _exit(spec->exit_status);
  }
  kill(getpid(), SIGKILL);
  pause();
}

}  // namespace ext4fh
