#include "image/dir_edit.h"

#include <sys/stat.h>

#include <cstring>
#include <vector>

#include "image/directory.h"
#include "image/errcode.h"
#include "image/inode.h"
#include "image/inode_write.h"

namespace ext4fh {

uint8_t FileTypeOf(mode_t mode) {
  switch (mode & S_IFMT) {
    case S_IFREG:
      return EXT2_FT_REG_FILE;
    case S_IFDIR:
      return EXT2_FT_DIR;
    case S_IFCHR:
      return EXT2_FT_CHRDEV;
    case S_IFBLK:
      return EXT2_FT_BLKDEV;
    case S_IFIFO:
      return EXT2_FT_FIFO;
    case S_IFSOCK:
      return EXT2_FT_SOCK;
    case S_IFLNK:
      return EXT2_FT_SYMLINK;
    default:
      return EXT2_FT_UNKNOWN;
  }
}

Status AddEntry(ext2_filsys fs, ext2_ino_t dir, std::string_view name,
                ext2_ino_t ino, mode_t mode, uint64_t budget) {
  std::string cname(name);
  errcode_t code = ext2fs_link(fs, dir, cname.c_str(), ino, FileTypeOf(mode));
  if (code == EXT2_ET_DIR_NO_SPACE && budget == 0) {
    return Status::Error(ENOSPC, "no free block to grow the directory");
  }
  if (code == EXT2_ET_DIR_NO_SPACE) {
    RETURN_IF_EXT2_ERROR(ext2fs_expand_dir(fs, dir), "cannot grow directory");
    code = ext2fs_link(fs, dir, cname.c_str(), ino, FileTypeOf(mode));
  }
  RETURN_IF_EXT2_ERROR(code, "cannot add directory entry");
  return OkStatus();
}

Status RemoveEntry(ext2_filsys fs, ext2_ino_t dir, std::string_view name) {
  std::string cname(name);
  RETURN_IF_EXT2_ERROR(ext2fs_unlink(fs, dir, cname.c_str(), 0, 0),
                       "cannot remove directory entry");
  return OkStatus();
}

namespace {

struct SetEntriesState {
  std::span<const EntryTarget> targets;
  size_t done = 0;
  bool filetype = false;
};

int SetMatchingEntry(ext2_dir_entry* dirent, int /*offset*/, int /*blocksize*/,
                     char* /*buf*/, void* priv) {
  auto* state = static_cast<SetEntriesState*>(priv);
  std::string_view name(dirent->name, ext2fs_dirent_name_len(dirent));
  for (const EntryTarget& t : state->targets) {
    if (dirent->inode != 0 && name == t.name) {
      dirent->inode = t.ino;
      if (state->filetype) {
        ext2fs_dirent_set_file_type(dirent, FileTypeOf(t.mode));
      }
      bool all = ++state->done == state->targets.size();
      return DIRENT_CHANGED | (all ? DIRENT_ABORT : 0);
    }
  }
  return 0;
}

}  // namespace

// ext2fs_dir_iterate writes a block once, after the callback saw all of
// its entries (ext2fs_process_dir_block), so entries in one block change
// together.
Status SetEntries(ext2_filsys fs, ext2_ino_t dir,
                  std::span<const EntryTarget> targets) {
  SetEntriesState state{targets, 0,
                        ext2fs_has_feature_filetype(fs->super) != 0};
  RETURN_IF_EXT2_ERROR(
      ext2fs_dir_iterate(fs, dir, 0, nullptr, SetMatchingEntry, &state),
      "cannot rewrite directory entry");
  if (state.done != targets.size()) {
    return Status::Error(ENOENT, "entry to rewrite is missing");
  }
  return OkStatus();
}

Status SetDotDot(ext2_filsys fs, ext2_ino_t dir, ext2_ino_t parent) {
  ASSIGN_OR_RETURN(ext2_inode_large inode, ReadInode(fs, dir));
  if (HasInlineData(inode)) {
    inode.i_block[0] = parent;  // the inline ".." is the first word
    return WriteInode(fs, dir, inode);
  }
  blk64_t pblk = 0;
  RETURN_IF_EXT2_ERROR(
      ext2fs_bmap2(fs, dir, reinterpret_cast<ext2_inode*>(&inode), nullptr, 0,
                   0, nullptr, &pblk),
      "cannot map directory");
  std::vector<char> block(fs->blocksize);
  RETURN_IF_EXT2_ERROR(ext2fs_read_dir_block4(fs, pblk, block.data(), 0, dir),
                       "cannot read directory");
  // ".." is the second record of the first block: after "." (12 bytes).
  uint16_t dot_len = 0;
  std::memcpy(&dot_len, block.data() + 4, 2);
  if (dot_len < 12 || dot_len + 12u > block.size() ||
      block[dot_len + 6] != 2 || std::memcmp(block.data() + dot_len + 8, "..", 2)) {
    return Status::Error(EUCLEAN, "directory has no '..' entry");
  }
  std::memcpy(block.data() + dot_len, &parent, 4);
  RETURN_IF_EXT2_ERROR(ext2fs_write_dir_block4(fs, pblk, block.data(), 0, dir),
                       "cannot write directory");
  return OkStatus();
}

Result<bool> IsEmptyDir(ext2_filsys fs, ext2_ino_t dir,
                        const ext2_inode_large& inode) {
  bool empty = true;
  RETURN_IF_ERROR(Directory(fs, dir, inode).List(0, [&](const DirEntry& e) {
    empty = e.name == "." || e.name == "..";
    return empty;
  }));
  return empty;
}

Status TouchDir(ext2_filsys fs, ext2_ino_t dir, const timespec& now,
                int link_delta) {
  ASSIGN_OR_RETURN(ext2_inode_large inode, ReadInode(fs, dir));
  SetTimes(inode, kMtime | kCtime, now);
  inode.i_links_count = DirLinksAfter(inode.i_links_count, link_delta);
  return WriteInode(fs, dir, inode);
}

uint32_t DirLinksAfter(uint32_t links, int delta) {
  if (delta > 0 && links != 1) {
    return links + delta > kLinkMax ? 1 : links + delta;
  }
  if (delta < 0 && links > 2) {
    return links + delta;
  }
  return links;
}

}  // namespace ext4fh
