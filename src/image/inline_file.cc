#include "image/inline_file.h"

#include <ext2fs/ext2_ext_attr.h>

#include <sys/stat.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <vector>

#include "image/errcode.h"
#include "image/inode.h"
#include "image/inode_write.h"

namespace ext4fh {
namespace {

constexpr char kDataXattr[] = "system.data";
constexpr size_t kIblockSize = EXT4_MIN_INLINE_DATA_SIZE;  // 60

struct XattrHandleCloser {
  void operator()(ext2_xattr_handle* h) const { ext2fs_xattrs_close(&h); }
};
using XattrHandle = std::unique_ptr<ext2_xattr_handle, XattrHandleCloser>;

Result<XattrHandle> OpenXattrs(ext2_filsys fs, ext2_ino_t ino) {
  ext2_xattr_handle* raw = nullptr;
  RETURN_IF_EXT2_ERROR(ext2fs_xattrs_open(fs, ino, &raw), "cannot open xattrs");
  XattrHandle h(raw);
  RETURN_IF_EXT2_ERROR(ext2fs_xattrs_read(h.get()), "cannot read xattrs");
  return h;
}

ext2_inode* Base(ext2_inode_large& inode) {
  return reinterpret_cast<ext2_inode*>(&inode);
}

// The bytes the inode holds: i_block, then the system.data value.
Result<std::string> ReadStored(ext2_filsys fs,
                               ext2_ino_t ino,
                               ext2_inode_large& inode) {
  size_t stored = 0;
  RETURN_IF_EXT2_ERROR(ext2fs_inline_data_size(fs, ino, &stored),
                       "cannot size inline data");
  std::string buf(std::max(stored, kIblockSize), '\0');
  RETURN_IF_EXT2_ERROR(
      ext2fs_inline_data_get(fs, ino, Base(inode), buf.data(), &stored),
      "cannot read inline data");
  buf.resize(stored);
  return buf;
}

// Sets the system.data value; false when the inode has no room for it
// (libext2fs keeps system.data in the inode body, as the kernel does).
Result<bool> SetDataXattr(ext2_filsys fs,
                          ext2_ino_t ino,
                          std::string_view value) {
  ASSIGN_OR_RETURN(XattrHandle h, OpenXattrs(fs, ino));
  errcode_t code =
      ext2fs_xattr_set(h.get(), kDataXattr, value.data(), value.size());
  if (code == EXT2_ET_EA_NO_SPACE || code == EXT2_ET_INLINE_DATA_NO_SPACE) {
    return false;
  }
  RETURN_IF_EXT2_ERROR(code, "cannot store inline data");
  return true;
}

Status RemoveDataXattr(ext2_filsys fs, ext2_ino_t ino) {
  ASSIGN_OR_RETURN(XattrHandle h, OpenXattrs(fs, ino));
  RETURN_IF_EXT2_ERROR(ext2fs_xattr_remove(h.get(), kDataXattr),
                       "cannot drop inline data");
  return OkStatus();
}

}  // namespace

Result<std::string> ReadInlineContent(ext2_filsys fs,
                                      ext2_ino_t ino,
                                      ext2_inode_large& inode) {
  const uint64_t size = InodeSize(fs, inode);
  if (size > fs->blocksize) {
    return Status::Error(EUCLEAN, "inline file larger than a block");
  }
  ASSIGN_OR_RETURN(std::string content, ReadStored(fs, ino, inode));
  content.resize(size, '\0');
  return content;
}

Result<uint64_t> StoredInlineSize(ext2_filsys fs, ext2_ino_t ino) {
  size_t stored = 0;
  RETURN_IF_EXT2_ERROR(ext2fs_inline_data_size(fs, ino, &stored),
                       "cannot size inline data");
  return stored;
}

Result<uint64_t> MaxInlineSize(ext2_filsys fs, ext2_ino_t ino) {
  constexpr uint8_t kSystemIndex = 7;  // "system." (EXT4_XATTR_INDEX_SYSTEM)
  const size_t inode_size = EXT2_INODE_SIZE(fs->super);
  if (inode_size <= EXT2_GOOD_OLD_INODE_SIZE) {
    return uint64_t{0};
  }
  std::vector<char> raw(std::max(inode_size, sizeof(ext2_inode_large)), 0);
  RETURN_IF_EXT2_ERROR(
      ext2fs_read_inode_full(fs, ino, reinterpret_cast<ext2_inode*>(raw.data()),
                             static_cast<int>(inode_size)),
      "cannot read inode");
  const auto* inode = reinterpret_cast<const ext2_inode_large*>(raw.data());
  const size_t start = EXT2_GOOD_OLD_INODE_SIZE + inode->i_extra_isize;
  if (inode->i_extra_isize == 0 || start + 2 * sizeof(uint32_t) > inode_size) {
    return uint64_t{0};
  }
  // The body after i_extra_isize: magic, entries, a null entry, values.
  int64_t free =
      static_cast<int64_t>(inode_size - start - 2 * sizeof(uint32_t));
  uint32_t magic = 0;
  std::memcpy(&magic, raw.data() + start, sizeof(magic));
  for (size_t at = start + sizeof(magic);
       magic == EXT2_EXT_ATTR_MAGIC &&
       at + sizeof(ext2_ext_attr_entry) <= inode_size;) {
    const auto* e =
        reinterpret_cast<const ext2_ext_attr_entry*>(raw.data() + at);
    if (EXT2_EXT_IS_LAST_ENTRY(e)) {
      break;
    }
    bool is_data = e->e_name_index == kSystemIndex && e->e_name_len == 4 &&
                   at + sizeof(*e) + 4 <= inode_size &&
                   std::memcmp(EXT2_EXT_ATTR_NAME(e), "data", 4) == 0;
    if (!is_data) {
      free -= EXT2_EXT_ATTR_LEN(e->e_name_len);
      if (e->e_value_inum == 0) {
        free -= EXT2_EXT_ATTR_SIZE(e->e_value_size);
      }
    }
    at += EXT2_EXT_ATTR_LEN(e->e_name_len);
  }
  free -= EXT2_EXT_ATTR_LEN(4);  // the system.data entry itself
  if (free < 0) {
    return uint64_t{0};
  }
  return kIblockSize +
         (static_cast<uint64_t>(free) & ~uint64_t{EXT2_EXT_ATTR_ROUND});
}

bool MayBecomeInline(ext2_filsys fs, const ext2_inode_large& inode) {
  constexpr uint32_t kExcluded = EXT4_INLINE_DATA_FL | EXT4_EA_INODE_FL |
                                 EXT4_ENCRYPT_FL | EXT4_VERITY_FL | FS_DAX_FL;
  return ext2fs_has_feature_inline_data(fs->super) &&
         EXT2_INODE_SIZE(fs->super) > EXT2_GOOD_OLD_INODE_SIZE &&
         inode.i_extra_isize != 0 && LINUX_S_ISREG(inode.i_mode) &&
         (inode.i_flags & kExcluded) == 0 && InodeSize(fs, inode) == 0 &&
         inode.i_blocks == 0 && inode.osd2.linux2.l_i_blocks_hi == 0;
}

Result<bool> StoreInline(ext2_filsys fs,
                         ext2_ino_t ino,
                         ext2_inode_large& inode,
                         std::string_view content) {
  if (content.size() > EXT2_INODE_SIZE(fs->super)) {
    return false;  // the inode cannot hold it, whatever its xattrs
  }
  std::string_view tail =
      content.size() > kIblockSize ? content.substr(kIblockSize) : "";
  // The xattr first: it is what may not fit, and it rewrites the inode.
  ASSIGN_OR_RETURN(bool fits, SetDataXattr(fs, ino, tail));
  if (!fits) {
    return false;
  }
  ASSIGN_OR_RETURN(inode, ReadInode(fs, ino));
  if (!HasInlineData(inode)) {
    inode.i_flags = (inode.i_flags & ~EXT4_EXTENTS_FL) | EXT4_INLINE_DATA_FL;
  }
  std::memset(inode.i_block, 0, sizeof(inode.i_block));
  std::memcpy(inode.i_block, content.data(),
              std::min(content.size(), kIblockSize));
  RETURN_IF_EXT2_ERROR(ext2fs_inode_size_set(fs, Base(inode), content.size()),
                       "cannot set size");
  RETURN_IF_ERROR(WriteInode(fs, ino, inode));
  return true;
}

Result<std::optional<size_t>> WriteInline(ext2_filsys fs,
                                          ext2_ino_t ino,
                                          ext2_inode_large& inode,
                                          uint64_t offset,
                                          std::span<const char> data) {
  const bool is_inline = HasInlineData(inode);
  const uint64_t end = offset + data.size();
  if ((!is_inline && !MayBecomeInline(fs, inode)) ||
      end > EXT2_INODE_SIZE(fs->super)) {
    return std::optional<size_t>();
  }
  ASSIGN_OR_RETURN(uint64_t room, MaxInlineSize(fs, ino));
  if (end > room) {
    return std::optional<size_t>();
  }
  std::string content;
  if (is_inline) {
    ASSIGN_OR_RETURN(content, ReadInlineContent(fs, ino, inode));
  }
  if (content.size() < end) {
    content.resize(end, '\0');
  }
  content.replace(offset, data.size(), data.data(), data.size());
  ASSIGN_OR_RETURN(bool stored, StoreInline(fs, ino, inode, content));
  return stored ? std::optional<size_t>(data.size()) : std::optional<size_t>();
}

Result<bool> ResizeInline(ext2_filsys fs,
                          ext2_ino_t ino,
                          ext2_inode_large& inode,
                          uint64_t size) {
  ASSIGN_OR_RETURN(uint64_t stored, StoredInlineSize(fs, ino));
  if (size > stored) {
    return false;
  }
  ASSIGN_OR_RETURN(std::string content, ReadInlineContent(fs, ino, inode));
  content.resize(size, '\0');
  return StoreInline(fs, ino, inode, content);
}

Status ConvertInlineToBlocks(ext2_filsys fs,
                             ext2_ino_t ino,
                             ext2_inode_large& inode) {
  if (!HasInlineData(inode)) {
    return OkStatus();
  }
  ASSIGN_OR_RETURN(std::string content, ReadInlineContent(fs, ino, inode));
  std::vector<char> block(fs->blocksize, 0);
  std::memcpy(block.data(), content.data(), content.size());
  // Nothing changes until a block is found and written.
  blk64_t goal = ext2fs_find_inode_goal(fs, ino, Base(inode), 0);
  blk64_t blk = 0;
  RETURN_IF_EXT2_ERROR(ext2fs_new_block2(fs, goal, nullptr, &blk),
                       "cannot allocate a block");
  RETURN_IF_EXT2_ERROR(io_channel_write_blk64(fs->io, blk, 1, block.data()),
                       "cannot write block");
  RETURN_IF_ERROR(RemoveDataXattr(fs, ino));
  ASSIGN_OR_RETURN(inode, ReadInode(fs, ino));
  inode.i_flags &= ~EXT4_INLINE_DATA_FL;
  RETURN_IF_ERROR(MapBlockZero(fs, ino, inode, blk));
  ext2fs_block_alloc_stats2(fs, blk, +1);
  return WriteInode(fs, ino, inode);
}

}  // namespace ext4fh
