#include "testutil/run_as.h"

#include <grp.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

namespace ext4fh::testutil {
namespace {

// Keeps only `caps` after the uid change (PR_SET_KEEPCAPS keeps the
// permitted set across setresuid; capset makes them effective).
bool KeepOnly(uint64_t caps) {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2] = {};
  for (int i = 0; i < 2; ++i) {
    data[i].effective = data[i].permitted = static_cast<uint32_t>(caps >> (32 * i));
  }
  return syscall(SYS_capset, &header, data) == 0;
}

}  // namespace

std::string RunAs(uid_t uid, gid_t gid, const std::function<std::string()>& fn,
                  uint64_t caps) {
  int fds[2];
  if (pipe(fds) != 0) {
    return "<pipe failed>";
  }
  pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    if (prctl(PR_SET_KEEPCAPS, caps != 0) != 0 || setgroups(0, nullptr) != 0 ||
        setresgid(gid, gid, gid) != 0 || setresuid(uid, uid, uid) != 0 ||
        (caps != 0 && !KeepOnly(caps))) {
      _exit(1);
    }
    std::string out = fn();
    (void)!write(fds[1], out.data(), out.size());
    _exit(0);
  }
  close(fds[1]);
  std::string result;
  char buf[4096];
  ssize_t n;
  while ((n = read(fds[0], buf, sizeof(buf))) > 0) {
    result.append(buf, static_cast<size_t>(n));
  }
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  return result;
}

}  // namespace ext4fh::testutil
