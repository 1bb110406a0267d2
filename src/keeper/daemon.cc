#include "keeper/daemon.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "keeper/config.h"

namespace ext4fh {

Result<Daemon> Daemon::Start() {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    return Status::Error(errno, "cannot create pipe");
  }
  pid_t pid = fork();
  if (pid < 0) {
    return Status::Error(errno, "cannot fork");
  }
  if (pid > 0) {
    close(fds[1]);
    unsigned char code = kExitFailure;
    ssize_t n;
    do {
      n = read(fds[0], &code, 1);
    } while (n < 0 && errno == EINTR);
    _exit(n == 1 ? code : static_cast<unsigned char>(kExitFailure));
  }
  close(fds[0]);
  setsid();
  return Daemon(ScopedFd(fds[1]));
}

void Daemon::Report(int code) {
  if (!pipe_.valid()) {
    return;
  }
  unsigned char byte = static_cast<unsigned char>(code);
  (void)!write(pipe_.get(), &byte, 1);
  pipe_.reset();
  if (code == kExitOk) {
    int null = open("/dev/null", O_RDWR);
    if (null >= 0) {
      dup2(null, STDIN_FILENO);
      dup2(null, STDOUT_FILENO);
      dup2(null, STDERR_FILENO);
      if (null > STDERR_FILENO) {
        close(null);
      }
    }
  }
}

}  // namespace ext4fh
