#pragma once

// POSIX ACLs in the VFS xattr format (include/uapi/linux/posix_acl_xattr.h),
// and the rules the kernel applies with them (fs/posix_acl.c): validity,
// equivalence with a mode, chmod, and inheritance at creation. libext2fs
// converts between this format and ext4's on-disk one.

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "util/status.h"

namespace ext4fh {

inline constexpr std::string_view kAclAccessName = "system.posix_acl_access";
inline constexpr std::string_view kAclDefaultName = "system.posix_acl_default";

enum AclTag : uint16_t {
  kAclUserObj = 0x01,
  kAclUser = 0x02,
  kAclGroupObj = 0x04,
  kAclGroup = 0x08,
  kAclMask = 0x10,
  kAclOther = 0x20,
};

struct AclEntry {
  uint16_t tag = 0;
  uint16_t perm = 0;
  uint32_t id = 0;
};
using Acl = std::vector<AclEntry>;

// Parses and validates (posix_acl_valid) a VFS-format ACL: EINVAL for a
// bad header, size, tag, permission, duplicate or missing entry, or a
// named entry without a mask.
Result<Acl> ParseAcl(std::string_view value);
std::string SerializeAcl(const Acl& acl);

// Whether `acl` says no more than mode bits can (posix_acl_equiv_mode).
// Either way stores in `*perms` the permission bits the ACL implies.
bool AclEquivalentToMode(const Acl& acl, mode_t* perms);

// chmod of an inode with an ACL (posix_acl_chmod): the ACL follows `mode`.
void AclChmod(Acl& acl, mode_t mode);

// A new inode inheriting default ACL `acl` (posix_acl_create_masq): the
// ACL's owner, mask (or group) and other entries are limited by `*mode`,
// and `*mode` by them. Returns whether an access ACL is still needed.
bool AclCreateMask(Acl& acl, mode_t* mode);

}  // namespace ext4fh
