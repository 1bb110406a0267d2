#pragma once

// Deterministic crash points for tests (issue: crash survival).
//
// EXT4FH_FAULT=NAME[:N] in a server's environment makes the N-th (default
// first) call of CrashPoint(NAME) kill the process with SIGKILL, exactly
// as an external `kill -9` would at that instruction;
// EXT4FH_FAULT=NAME:N:exit=S makes it exit with status S there instead,
// without any cleanup (_exit), as a server that gives up would. The keeper
// passes the variable to the first server only, so the restarted one runs
// normally. Without the variable CrashPoint costs one branch.
//
// The points:
//   after-read            a request was read, before it is handled
//   before-write-reply    a WRITE's data is on the image, before its reply
//   mid-rename            a RENAME linked the new name, before it removes
//                         the old one; a RENAME_EXCHANGE across
//                         directories rewrote one entry, not the other; in
//                         one directory, rewrote both, before the rest
//   before-logged-change  a non-idempotent request is logged in progress
//                         (fuse/request_log.h), before it changes the image
//   before-logged-reply   such a request's outcome is on the image and in
//                         the log and its entry counted, before its reply

namespace ext4fh {

// Kills the process here if EXT4FH_FAULT names `point` and this is the
// chosen hit.
void CrashPoint(const char* point);

}  // namespace ext4fh
