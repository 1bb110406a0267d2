#include "image/xattr.h"

#include <sys/xattr.h>

#include <array>
#include <memory>
#include <string>

#include "image/errcode.h"

namespace ext4fh {
namespace {

constexpr std::string_view kInlineDataName = "system.data";
constexpr std::string_view kTrustedPrefix = "trusted.";

struct XattrHandleCloser {
  void operator()(ext2_xattr_handle* h) const { ext2fs_xattrs_close(&h); }
};
using XattrHandle = std::unique_ptr<ext2_xattr_handle, XattrHandleCloser>;

Result<XattrHandle> OpenXattrs(ext2_filsys fs, ext2_ino_t ino) {
  ext2_xattr_handle* raw = nullptr;
  RETURN_IF_EXT2_ERROR(ext2fs_xattrs_open(fs, ino, &raw),
                       "cannot open xattrs");
  XattrHandle h(raw);
  RETURN_IF_EXT2_ERROR(ext2fs_xattrs_read(h.get()), "cannot read xattrs");
  return h;
}

bool Hidden(std::string_view name, bool privileged) {
  if (name == kInlineDataName) {
    return true;
  }
  return !privileged && name.starts_with(kTrustedPrefix);
}

struct ListState {
  std::vector<std::string> names;
  bool privileged;
};

int CollectName(char* name, char*, size_t, void* data) {
  auto* state = static_cast<ListState*>(data);
  if (!Hidden(name, state->privileged)) {
    state->names.emplace_back(name);
  }
  return 0;
}

constexpr std::array<std::string_view, 3> kPrefixes = {"user.", "trusted.",
                                                        "security."};
constexpr size_t kMaxNameLength = 255;  // XATTR_NAME_MAX

bool Exists(ext2_xattr_handle* h, const std::string& key) {
  void* value = nullptr;
  size_t size = 0;
  if (ext2fs_xattr_get(h, key.c_str(), &value, &size) != 0) {
    return false;
  }
  ext2fs_free_mem(&value);
  return true;
}

}  // namespace

Status CheckXattrName(std::string_view name) {
  if (name.size() > kMaxNameLength) {
    return Status::Error(ERANGE, "xattr name too long");
  }
  if (name == "system.posix_acl_access" || name == "system.posix_acl_default") {
    return OkStatus();
  }
  for (std::string_view prefix : kPrefixes) {
    if (name.starts_with(prefix)) {
      return name.size() == prefix.size()
                 ? Status::Error(EINVAL, "empty xattr name")
                 : OkStatus();
    }
  }
  return Status::Error(EOPNOTSUPP, "unsupported xattr namespace");
}

Status SetXattr(ext2_filsys fs, ext2_ino_t ino, std::string_view name,
                std::string_view value, int flags) {
  ASSIGN_OR_RETURN(XattrHandle h, OpenXattrs(fs, ino));
  std::string key(name);
  bool exists = Exists(h.get(), key);
  if ((flags & XATTR_CREATE) && exists) {
    return Status::Error(EEXIST);
  }
  if ((flags & XATTR_REPLACE) && !exists) {
    return Status::Error(ENODATA);
  }
  RETURN_IF_EXT2_ERROR(
      ext2fs_xattr_set(h.get(), key.c_str(), value.data(), value.size()),
      "cannot set xattr");
  return OkStatus();
}

Status RemoveXattr(ext2_filsys fs, ext2_ino_t ino, std::string_view name) {
  ASSIGN_OR_RETURN(XattrHandle h, OpenXattrs(fs, ino));
  std::string key(name);
  if (!Exists(h.get(), key)) {
    return Status::Error(ENODATA);
  }
  RETURN_IF_EXT2_ERROR(ext2fs_xattr_remove(h.get(), key.c_str()),
                       "cannot remove xattr");
  return OkStatus();
}

Result<std::vector<std::string>> ListXattrs(ext2_filsys fs, ext2_ino_t ino,
                                            bool privileged) {
  if (!ext2fs_has_feature_xattr(fs->super)) {
    return std::vector<std::string>{};
  }
  ASSIGN_OR_RETURN(XattrHandle h, OpenXattrs(fs, ino));
  ListState state{{}, privileged};
  RETURN_IF_EXT2_ERROR(ext2fs_xattrs_iterate(h.get(), CollectName, &state),
                       "cannot list xattrs");
  return std::move(state.names);
}

Result<std::string> GetXattr(ext2_filsys fs, ext2_ino_t ino,
                             std::string_view name) {
  if (name == kInlineDataName || !ext2fs_has_feature_xattr(fs->super)) {
    return Status::Error(ENODATA);
  }
  ASSIGN_OR_RETURN(XattrHandle h, OpenXattrs(fs, ino));
  void* value = nullptr;
  size_t size = 0;
  std::string key(name);
  errcode_t code = ext2fs_xattr_get(h.get(), key.c_str(), &value, &size);
  if (code == EXT2_ET_EA_KEY_NOT_FOUND) {
    return Status::Error(ENODATA);
  }
  RETURN_IF_EXT2_ERROR(code, "cannot get xattr");
  std::string result(static_cast<const char*>(value), size);
  ext2fs_free_mem(&value);
  return result;
}

}  // namespace ext4fh
