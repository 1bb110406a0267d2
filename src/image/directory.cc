#include "image/directory.h"

#include <dirent.h>

#include <cstring>
#include <string>

#include "image/dir_block.h"
#include "image/errcode.h"
#include "image/htree.h"
#include "image/inode.h"
#include "util/log.h"

namespace ext4fh {
namespace {

constexpr uint32_t kInlineParentSize = 4;  // EXT4_INLINE_DOTDOT_SIZE
constexpr uint32_t kInlineIblockSize = EXT4_MIN_INLINE_DATA_SIZE;  // 60

uint32_t Le32(const char* p) {
  uint32_t v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}

DirEntry MakeEntry(uint32_t ino, uint8_t type, std::string_view name,
                   uint64_t cookie) {
  return DirEntry{ino, type, std::string(name), cookie};
}

}  // namespace

Directory::Directory(ext2_filsys fs, ext2_ino_t ino,
                     const ext2_inode_large& inode)
    : fs_(fs),
      ino_(ino),
      inode_(inode),
      has_filetype_(ext2fs_has_feature_filetype(fs->super)) {}

uint32_t Directory::BlockCount() const {
  return static_cast<uint32_t>(InodeSize(fs_, inode_) / fs_->blocksize);
}

bool Directory::IsIndexed() const {
  return (inode_.i_flags & EXT2_INDEX_FL) &&
         ext2fs_has_feature_dir_index(fs_->super);
}

Result<bool> Directory::ReadBlock(uint32_t lblk, std::vector<char>* buf) {
  blk64_t pblk = 0;
  RETURN_IF_EXT2_ERROR(
      ext2fs_bmap2(fs_, ino_, reinterpret_cast<ext2_inode*>(&inode_), nullptr,
                   0, lblk, nullptr, &pblk),
      "cannot map directory block");
  if (pblk == 0) {
    return false;
  }
  buf->resize(fs_->blocksize);
  RETURN_IF_EXT2_ERROR(ext2fs_read_dir_block4(fs_, pblk, buf->data(), 0, ino_),
                       "cannot read directory block");
  return true;
}

Status Directory::List(uint64_t cookie, const DirEntrySink& sink) {
  if (HasInlineData(inode_)) {
    return ListInline(cookie, sink);
  }
  return ListBlocks(cookie, sink);
}

Status Directory::ListBlocks(uint64_t cookie, const DirEntrySink& sink) {
  const uint32_t bs = fs_->blocksize;
  std::vector<char> buf;
  bool full = false;
  for (uint64_t lblk = cookie / bs; lblk < BlockCount() && !full; ++lblk) {
    ASSIGN_OR_RETURN(bool present, ReadBlock(lblk, &buf));
    if (!present) {
      continue;
    }
    const uint64_t base = lblk * bs;
    const uint32_t skip = lblk == cookie / bs ? cookie % bs : 0;
    RETURN_IF_ERROR(WalkDirents(buf, bs, has_filetype_, [&](const RawDirent& d) {
      if (d.offset < skip) {
        return true;
      }
      full = !sink(MakeEntry(d.ino, DirentTypeToDt(d.file_type), d.name,
                             base + d.offset + d.rec_len));
      return !full;
    }));
  }
  return OkStatus();
}

Result<std::vector<char>> Directory::ReadInline() {
  size_t size = 0;
  RETURN_IF_EXT2_ERROR(ext2fs_inline_data_size(fs_, ino_, &size),
                       "cannot size inline directory");
  std::vector<char> buf(std::max<size_t>(size, kInlineIblockSize));
  RETURN_IF_EXT2_ERROR(
      ext2fs_inline_data_get(fs_, ino_, reinterpret_cast<ext2_inode*>(&inode_),
                             buf.data(), &size),
      "cannot read inline directory");
  buf.resize(size);
  if (size < kInlineIblockSize) {
    return Status::Error(EUCLEAN, "inline directory too small");
  }
  return buf;
}

Status Directory::ListInline(uint64_t cookie, const DirEntrySink& sink) {
  ASSIGN_OR_RETURN(std::vector<char> buf, ReadInline());
  if (cookie == 0 && !sink(MakeEntry(ino_, DT_DIR, ".", 1))) {
    return OkStatus();
  }
  if (cookie <= 1 && !sink(MakeEntry(Le32(buf.data()), DT_DIR, "..", 2))) {
    return OkStatus();
  }
  std::span<const char> all(buf.data() + kInlineParentSize,
                            buf.size() - kInlineParentSize);
  const uint32_t first_size = kInlineIblockSize - kInlineParentSize;
  bool full = false;
  for (uint32_t start : {0u, first_size}) {
    std::span<const char> region =
        start == 0 ? all.subspan(0, first_size) : all.subspan(first_size);
    RETURN_IF_ERROR(WalkDirents(
        region, fs_->blocksize, has_filetype_, [&](const RawDirent& d) {
          uint64_t position = 2 + start + d.offset;
          if (position < cookie) {
            return true;
          }
          full = !sink(MakeEntry(d.ino, DirentTypeToDt(d.file_type), d.name,
                                 position + d.rec_len));
          return !full;
        }));
    if (full) {
      break;
    }
  }
  return OkStatus();
}

Result<uint32_t> Directory::SearchRegion(std::span<const char> region,
                                         std::string_view name) {
  uint32_t found = 0;
  RETURN_IF_ERROR(WalkDirents(region, fs_->blocksize, has_filetype_,
                              [&](const RawDirent& d) {
                                if (d.name == name) {
                                  found = d.ino;
                                }
                                return found == 0;
                              }));
  return found;
}

Result<uint32_t> Directory::Find(std::string_view name) {
  Result<uint32_t> found = 0u;
  if (HasInlineData(inode_)) {
    found = FindInline(name);
  } else if (IsIndexed()) {
    found = FindIndexed(name);
  } else {
    found = FindLinear(name);
  }
  if (found.ok() && *found == 0) {
    return Status::Error(ENOENT);
  }
  return found;
}

Result<uint32_t> Directory::FindLinear(std::string_view name) {
  std::vector<char> buf;
  for (uint32_t lblk = 0; lblk < BlockCount(); ++lblk) {
    ASSIGN_OR_RETURN(bool present, ReadBlock(lblk, &buf));
    if (!present) {
      continue;
    }
    ASSIGN_OR_RETURN(uint32_t ino, SearchRegion(buf, name));
    if (ino != 0) {
      return ino;
    }
  }
  return 0u;
}

Result<uint32_t> Directory::FindIndexed(std::string_view name) {
  uint32_t found = 0;
  Status st = HtreeSearch(
      fs_, name,
      [this](uint32_t lblk, std::vector<char>* buf) {
        return ReadBlock(lblk, buf);
      },
      [&](const std::vector<char>& leaf) -> Result<bool> {
        ASSIGN_OR_RETURN(found, SearchRegion(leaf, name));
        return found != 0;
      });
  if (st.err() == EUCLEAN) {
    LOG(WARNING) << "Cannot use the hash index of directory " << ino_ << ": "
                 << st.ToString() << "; scanning it";
    return FindLinear(name);
  }
  RETURN_IF_ERROR(st);
  return found;
}

Result<uint32_t> Directory::FindInline(std::string_view name) {
  ASSIGN_OR_RETURN(std::vector<char> buf, ReadInline());
  const uint32_t first_end = kInlineIblockSize;
  std::span<const char> all(buf);
  ASSIGN_OR_RETURN(
      uint32_t ino,
      SearchRegion(all.subspan(kInlineParentSize, first_end - kInlineParentSize),
                   name));
  if (ino != 0) {
    return ino;
  }
  return SearchRegion(all.subspan(first_end), name);
}

Result<uint32_t> Directory::Parent() {
  if (HasInlineData(inode_)) {
    ASSIGN_OR_RETURN(std::vector<char> buf, ReadInline());
    return Le32(buf.data());
  }
  std::vector<char> buf;
  ASSIGN_OR_RETURN(bool present, ReadBlock(0, &buf));
  if (!present) {
    return Status::Error(EUCLEAN, "directory has no first block");
  }
  ASSIGN_OR_RETURN(uint32_t parent, SearchRegion(buf, ".."));
  if (parent == 0) {
    return Status::Error(EUCLEAN, "directory has no '..' entry");
  }
  return parent;
}

}  // namespace ext4fh
