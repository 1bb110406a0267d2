#include "testutil/run_as.h"

#include <grp.h>
#include <sys/wait.h>
#include <unistd.h>

namespace ext4fh::testutil {

std::string RunAs(uid_t uid, gid_t gid,
                  const std::function<std::string()>& fn) {
  int fds[2];
  if (pipe(fds) != 0) {
    return "<pipe failed>";
  }
  pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    if (setgroups(0, nullptr) != 0 || setresgid(gid, gid, gid) != 0 ||
        setresuid(uid, uid, uid) != 0) {
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
