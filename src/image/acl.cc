#include "image/acl.h"

#include <algorithm>
#include <cstring>

namespace ext4fh {
namespace {

constexpr uint32_t kAclVersion = 2;
constexpr size_t kHeaderSize = 4;
constexpr size_t kEntrySize = 8;

AclEntry* FindTag(Acl& acl, uint16_t tag) {
  for (AclEntry& e : acl) {
    if (e.tag == tag) {
      return &e;
    }
  }
  return nullptr;
}

int TagOrder(uint16_t tag) {
  switch (tag) {
    case kAclUserObj:
      return 0;
    case kAclUser:
      return 1;
    case kAclGroupObj:
      return 2;
    case kAclGroup:
      return 3;
    case kAclMask:
      return 4;
    case kAclOther:
      return 5;
    default:
      return -1;
  }
}

// posix_acl_valid: known tags in order, one of each *_OBJ/MASK/OTHER,
// named entries sorted by id without duplicates, a mask iff named entries.
bool Valid(const Acl& acl) {
  int prev = -1;
  uint32_t prev_id = 0;
  int named = 0, user_obj = 0, group_obj = 0, mask = 0, other = 0;
  for (const AclEntry& e : acl) {
    int order = TagOrder(e.tag);
    if (order < 0 || order < prev || (e.perm & ~7u)) {
      return false;
    }
    if ((e.tag == kAclUser || e.tag == kAclGroup)) {
      if (order == prev && e.id <= prev_id) {
        return false;
      }
      prev_id = e.id;
      ++named;
    } else if (order == prev) {
      return false;
    }
    user_obj += e.tag == kAclUserObj;
    group_obj += e.tag == kAclGroupObj;
    mask += e.tag == kAclMask;
    other += e.tag == kAclOther;
    prev = order;
  }
  return user_obj == 1 && group_obj == 1 && other == 1 &&
         (named == 0 || mask == 1);
}

}  // namespace

Result<Acl> ParseAcl(std::string_view value) {
  uint32_t version = 0;
  if (value.size() < kHeaderSize ||
      (value.size() - kHeaderSize) % kEntrySize != 0) {
    return Status::Error(EINVAL, "malformed ACL");
  }
  std::memcpy(&version, value.data(), sizeof(version));
  if (version != kAclVersion) {
    return Status::Error(EOPNOTSUPP, "unknown ACL version");
  }
  Acl acl;
  for (size_t off = kHeaderSize; off < value.size(); off += kEntrySize) {
    AclEntry e;
    std::memcpy(&e.tag, value.data() + off, 2);
    std::memcpy(&e.perm, value.data() + off + 2, 2);
    std::memcpy(&e.id, value.data() + off + 4, 4);
    if (e.tag != kAclUser && e.tag != kAclGroup) {
      e.id = static_cast<uint32_t>(-1);
    }
    acl.push_back(e);
  }
  if (!Valid(acl)) {
    return Status::Error(EINVAL, "invalid ACL");
  }
  return acl;
}

std::string SerializeAcl(const Acl& acl) {
  std::string out(kHeaderSize + acl.size() * kEntrySize, '\0');
  std::memcpy(out.data(), &kAclVersion, sizeof(kAclVersion));
  size_t off = kHeaderSize;
  for (const AclEntry& e : acl) {
    std::memcpy(out.data() + off, &e.tag, 2);
    std::memcpy(out.data() + off + 2, &e.perm, 2);
    std::memcpy(out.data() + off + 4, &e.id, 4);
    off += kEntrySize;
  }
  return out;
}

bool AclEquivalentToMode(const Acl& acl, mode_t* perms) {
  mode_t mode = 0;
  bool equivalent = true;
  for (const AclEntry& e : acl) {
    switch (e.tag) {
      case kAclUserObj:
        mode |= (e.perm & 7) << 6;
        break;
      case kAclGroupObj:
        mode |= (e.perm & 7) << 3;
        break;
      case kAclOther:
        mode |= e.perm & 7;
        break;
      case kAclMask:
        mode = (mode & ~070) | ((e.perm & 7) << 3);
        equivalent = false;
        break;
      default:
        equivalent = false;
        break;
    }
  }
  *perms = mode;
  return equivalent;
}

void AclChmod(Acl& acl, mode_t mode) {
  AclEntry* mask = FindTag(acl, kAclMask);
  AclEntry* group = mask ? mask : FindTag(acl, kAclGroupObj);
  if (AclEntry* user = FindTag(acl, kAclUserObj)) {
    user->perm = (mode >> 6) & 7;
  }
  if (group) {
    group->perm = (mode >> 3) & 7;
  }
  if (AclEntry* other = FindTag(acl, kAclOther)) {
    other->perm = mode & 7;
  }
}

bool AclCreateMask(Acl& acl, mode_t* mode) {
  mode_t m = *mode;
  bool needed = false;
  AclEntry* group = nullptr;
  AclEntry* mask = nullptr;
  for (AclEntry& e : acl) {
    switch (e.tag) {
      case kAclUserObj:
        e.perm &= (m >> 6) & 7;
        m &= (e.perm << 6) | ~0700;
        break;
      case kAclUser:
      case kAclGroup:
        needed = true;
        break;
      case kAclGroupObj:
        group = &e;
        break;
      case kAclOther:
        e.perm &= m & 7;
        m &= e.perm | ~07;
        break;
      case kAclMask:
        mask = &e;
        needed = true;
        break;
    }
  }
  AclEntry* g = mask ? mask : group;
  if (g) {
    g->perm &= (m >> 3) & 7;
    m &= (g->perm << 3) | ~070;
  }
  *mode = (*mode & ~0777) | (m & 0777);
  return needed;
}

}  // namespace ext4fh
