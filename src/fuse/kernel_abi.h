#pragma once

// FUSE protocol values newer than Debian's <linux/fuse.h> (7.38), from the
// kernel's include/uapi/linux/fuse.h. libfuse 3.14 negotiates 7.31, but the
// 6.18 kernel accepts these notifications on such a connection
// (DESIGN section 4, docs/kernel-facts.md).

#include <linux/fuse.h>

#include <cstdint>

namespace ext4fh {

// Notification codes, written raw as fuse_out_header{len, error=code,
// unique=0}.
inline constexpr int32_t kNotifyResend = 7;    // FUSE_NOTIFY_RESEND (7.40)
inline constexpr int32_t kNotifyIncEpoch = 8;  // FUSE_NOTIFY_INC_EPOCH (7.44)

// Set in fuse_in_header.unique of a request the kernel resent after
// FUSE_NOTIFY_RESEND (FUSE_UNIQUE_RESEND).
inline constexpr uint64_t kUniqueResend = 1ULL << 63;

}  // namespace ext4fh
