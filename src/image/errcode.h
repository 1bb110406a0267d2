#pragma once

// The one translation from libext2fs's errcode_t to errno (like fuse2fs's
// __translate_error, but table-driven), and the classification of codes that
// mean the image is corrupt. Corruption maps to EUCLEAN: the caller records
// it in the superblock and the keeper runs the fsck hooks before the next
// mount.

#include <ext2fs/ext2fs.h>

#include <string>

#include "util/status.h"

namespace ext4fh {

// The positive errno for `code`. System errnos (codes below EXT2_ET_BASE)
// pass through; unknown libext2fs codes map to EIO.
int ErrnoFromErrcode(errcode_t code);

// Whether `code` means the on-disk structures are damaged (bad checksums,
// bad extent or directory blocks, and the like).
bool IsCorruption(errcode_t code);

// The code the kernel's ext4 stores for a failure in the superblock's
// s_first_error_errcode / s_last_error_errcode (EXT4_ERR_*, what dumpe2fs
// shows as "First error err"), as ext4_errno_to_code maps errnos: a bad
// checksum is EFSBADCRC, other corruption EFSCORRUPTED, a few errnos have
// codes of their own and the rest are EXT4_ERR_UNKNOWN.
uint8_t Ext4ErrorCode(const Status& status);

// A failed Status for `code` with `context`. REQUIRES: code != 0.
Status StatusFromErrcode(errcode_t code, std::string context);

// libext2fs's message for `code` (error_message()).
std::string ErrcodeMessage(errcode_t code);

}  // namespace ext4fh

// Returns a translated Status from the enclosing function when the libext2fs
// call `expr` fails.
#define RETURN_IF_EXT2_ERROR(expr, context)                   \
  do {                                                        \
    errcode_t _code = (expr);                                 \
    if (_code != 0) {                                         \
      return ::ext4fh::StatusFromErrcode(_code, (context));   \
    }                                                         \
  } while (0)
