#include "image/access.h"

#include "image/acl.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

namespace ext4fh {
namespace {

bool Grants(uint32_t perm, int mask) {
  return (static_cast<int>(perm) & mask) == mask;
}

// posix_acl_permission() for a non-owner.
bool AclPermits(const Acl& acl, const Attr& attr,
                const Credentials& cred, int mask) {
  uint32_t acl_mask = 07;
  for (const AclEntry& e : acl) {
    if (e.tag == kAclMask) {
      acl_mask = e.perm;
    }
  }
  for (const AclEntry& e : acl) {
    if (e.tag == kAclUser && e.id == cred.uid) {
      return Grants(e.perm & acl_mask, mask);
    }
  }
  bool group_found = false;
  for (const AclEntry& e : acl) {
    bool member = (e.tag == kAclGroupObj && cred.InGroup(attr.gid)) ||
                  (e.tag == kAclGroup && cred.InGroup(e.id));
    if (member) {
      group_found = true;
      if (Grants(e.perm & acl_mask, mask)) {
        return true;
      }
    }
  }
  if (group_found) {
    return false;
  }
  for (const AclEntry& e : acl) {
    if (e.tag == kAclOther) {
      return Grants(e.perm, mask);
    }
  }
  return false;
}

// The mode-bits check of generic_permission for a non-owner without ACL.
bool ModePermits(const Attr& attr, const Credentials& cred, int mask) {
  uint32_t bits = cred.InGroup(attr.gid) ? (attr.mode >> 3) & 07 : attr.mode & 07;
  return Grants(bits, mask);
}

}  // namespace

bool Credentials::InGroup(gid_t g) const {
  return g == gid || std::find(groups.begin(), groups.end(), g) != groups.end();
}

bool MayAccess(const Attr& attr, const std::optional<std::string>& acl,
               const Credentials& cred, int mask) {
  mask &= R_OK | W_OK | X_OK;
  if (cred.uid == 0) {
    return !(mask & X_OK) || S_ISDIR(attr.mode) || (attr.mode & 0111);
  }
  if (cred.uid == attr.uid) {
    return Grants((attr.mode >> 6) & 07, mask);
  }
  if (acl) {
    Result<Acl> entries = ParseAcl(*acl);
    if (entries.ok()) {
      return AclPermits(*entries, attr, cred, mask);
    }
  }
  return ModePermits(attr, cred, mask);
}

mode_t ModeAfterUnprivilegedWrite(mode_t mode, gid_t gid,
                                  const Credentials& cred) {
  if (cred.uid == 0) {
    return mode;
  }
  mode &= ~S_ISUID;
  if ((mode & S_ISGID) && ((mode & S_IXGRP) || !cred.InGroup(gid))) {
    mode &= ~S_ISGID;
  }
  return mode;
}

bool NeedsGroupsToDropPrivileges(mode_t mode) {
  return (mode & S_ISGID) && !(mode & S_IXGRP);
}

}  // namespace ext4fh
