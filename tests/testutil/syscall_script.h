#pragma once

// A tiny language of filesystem syscalls, for differential tests: the same
// script runs on the kernel's ext4 and on ext4fh, and the transcripts must
// match line for line.
//
// A script is a list of steps, one syscall each, with paths relative to a
// root directory and fds kept in numbered slots:
//   mkdir P MODE            rmdir P            unlink P
//   open SLOT P FLAGS [MODE] (FLAGS: rdonly,wronly,rdwr,creat,excl,trunc,
//                            append,directory,nofollow)
//   close SLOT              write SLOT DATA    pwrite SLOT OFF DATA
//   read SLOT N             pread SLOT OFF N
//   rename A B [noreplace|exchange]   link A B   symlink TARGET P
//   readlink P   chmod P MODE   fchmod SLOT MODE   chown P UID GID
//   lchown P UID GID   truncate P SIZE   ftruncate SLOT SIZE
//   utimens P ATIME MTIME (now | omit | SEC.NSEC; NSEC is a count of
//                         nanoseconds: 1000.5 is 5 ns past 1000 s)
//   times P       atime and mtime of P (lstat), to the nanosecond; a time
//                 within 10 s of the clock reads "now" (UTIME_NOW, writes)
//   mknod P fifo|sock|chr|blk MODE [MAJOR MINOR]
//   setxattr P NAME DATA [create|replace]   getxattr P NAME
//   removexattr P NAME   listxattr P
//   setacl P ACL   setdefacl P ACL   getacl P   (ACL: u::rw,u:65534:r,...)
//   fallocate SLOT MODES OFF LEN (MODES: 0 or keep,punch,zero,collapse,insert)
//   lseek SLOT OFF data|hole|end|set    access P rwx|-
//   stat P   lstat P   fstat SLOT   fsync SLOT   fdatasync SLOT
//   copy SLOT OFF SLOT OFF LEN   getflags P   setflags P FLAGS (a,i,d,A,S)
//   copy SLOT OFF SLOT OFF LEN: LEN may be "max" (SIZE_MAX)
//   fitrim P START LEN MINLEN   FITRIM on the filesystem of P ("max":
//                 UINT64_MAX); reports only OK, since how much each
//                 filesystem discards legitimately differs
//   ioctl P getversion|getversion32|getflags32|setflags32   the ioctl on P,
//                 with a long argument preset to all ones: shows every
//                 byte the call wrote (setflags32 passes 0)
//   ls P   tree P   (fsync and fdatasync of a directory's slot: FSYNCDIR)
//   cd P     chdir to P; from then on a path is relative to the process's
//            working directory (so trees deeper than PATH_MAX can be built
//            and used step by step), and "@" or "@/REST" names the root
//   getcwd   the getcwd(2) syscall: its errno, or the path from the root
// DATA is literal text, or zeros:N, or pat:N (N pseudo-random bytes).
// A path "tmp:NAME" names NAME in a scratch directory outside the mount
// (in /tmp, removed when the script ends), for calls across filesystems.
// Every step reports its result or errno; `stat` and friends report type,
// mode, links, owner, size and blocks (not inode numbers or times, which
// legitimately differ; `times` shows the ones a script set). After each
// step that can change times, the transcript says which of atime, mtime
// and ctime moved for the paths the step named and their parent
// directories.

#include <string>
#include <vector>

namespace ext4fh::testutil {

// Runs `steps` with paths under `root` and returns the transcript. A
// script that changes directory (`cd`) leaves the caller's working
// directory as it found it.
std::string RunScript(const std::string& root,
                      const std::vector<std::string>& steps);

}  // namespace ext4fh::testutil
