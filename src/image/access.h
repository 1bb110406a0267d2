#pragma once

// POSIX permission checks with ACLs, as the kernel's generic_permission and
// posix_acl_permission decide them. Used for FUSE's ACCESS request and for
// mounts without default_permissions, where the kernel leaves the checks to
// the server.

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "image/types.h"

namespace ext4fh {

struct Credentials {
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;  // supplementary groups

  bool InGroup(gid_t g) const;
};

// Whether `cred` may access an inode with attributes `attr` for `mask`
// (a combination of R_OK, W_OK and X_OK). `acl` is the inode's
// system.posix_acl_access value in VFS xattr format, if it has one. Root
// passes read and write checks always, and execute checks when the inode
// is a directory or has any execute bit.
bool MayAccess(const Attr& attr, const std::optional<std::string>& acl,
               const Credentials& cred, int mask);

// The mode an inode of `mode` and group `gid` keeps after a write or a
// truncate by `cred` (setattr_should_drop_suidgid): root keeps every bit;
// anyone else drops setuid, and setgid if the group may execute or `cred`
// is not in the group. REQUIRES: cred.groups is filled when mode has
// setgid without group-exec (NeedsGroupsToDropPrivileges).
mode_t ModeAfterUnprivilegedWrite(mode_t mode, gid_t gid,
                                  const Credentials& cred);
bool NeedsGroupsToDropPrivileges(mode_t mode);

}  // namespace ext4fh
