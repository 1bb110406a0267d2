#include "image/access.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

namespace ext4fh {
namespace {

// The VFS POSIX ACL xattr format (include/uapi/linux/posix_acl_xattr.h).
constexpr uint32_t kAclVersion = 2;
enum AclTag : uint16_t {
  kUserObj = 0x01,
  kUser = 0x02,
  kGroupObj = 0x04,
  kGroup = 0x08,
  kMask = 0x10,
  kOther = 0x20,
};

struct AclEntry {
  uint16_t tag;
  uint16_t perm;
  uint32_t id;
};

std::vector<AclEntry> ParseAcl(const std::string& value) {
  std::vector<AclEntry> entries;
  uint32_t version = 0;
  if (value.size() < 4) {
    return entries;
  }
  std::memcpy(&version, value.data(), 4);
  if (version != kAclVersion || (value.size() - 4) % 8 != 0) {
    return entries;
  }
  for (size_t off = 4; off < value.size(); off += 8) {
    AclEntry e;
    std::memcpy(&e.tag, value.data() + off, 2);
    std::memcpy(&e.perm, value.data() + off + 2, 2);
    std::memcpy(&e.id, value.data() + off + 4, 4);
    entries.push_back(e);
  }
  return entries;
}

bool Grants(uint32_t perm, int mask) {
  return (static_cast<int>(perm) & mask) == mask;
}

// posix_acl_permission() for a non-owner.
bool AclPermits(const std::vector<AclEntry>& acl, const Attr& attr,
                const Credentials& cred, int mask) {
  uint32_t acl_mask = 07;
  for (const AclEntry& e : acl) {
    if (e.tag == kMask) {
      acl_mask = e.perm;
    }
  }
  for (const AclEntry& e : acl) {
    if (e.tag == kUser && e.id == cred.uid) {
      return Grants(e.perm & acl_mask, mask);
    }
  }
  bool group_found = false;
  for (const AclEntry& e : acl) {
    bool member = (e.tag == kGroupObj && cred.InGroup(attr.gid)) ||
                  (e.tag == kGroup && cred.InGroup(e.id));
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
    if (e.tag == kOther) {
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
    std::vector<AclEntry> entries = ParseAcl(*acl);
    if (!entries.empty()) {
      return AclPermits(entries, attr, cred, mask);
    }
  }
  return ModePermits(attr, cred, mask);
}

}  // namespace ext4fh
