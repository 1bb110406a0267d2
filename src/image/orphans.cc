#include "image/orphans.h"

#include <string>

#include "image/errcode.h"
#include "image/file_write.h"
#include "image/inode.h"
#include "image/inode_write.h"

namespace ext4fh {

void OrphanList::Load(ext2_filsys fs) {
  members_.clear();
  ext2_ino_t ino = fs->super->s_last_orphan;
  while (ino != 0 && ino <= fs->super->s_inodes_count &&
         members_.insert(ino).second) {
    Result<ext2_inode_large> inode = ReadInode(fs, ino);
    if (!inode.ok()) {
      break;
    }
    ino = inode->i_dtime;
  }
}

void OrphanList::Add(ext2_filsys fs, MetadataCommit& commit, ext2_ino_t ino,
                     ext2_inode_large& inode) {
  if (members_.contains(ino)) {
    return;
  }
  inode.i_dtime = fs->super->s_last_orphan;
  fs->super->s_last_orphan = ino;
  members_.insert(ino);
  commit.SuperChanged();
}

Status OrphanList::Remove(ext2_filsys fs, MetadataCommit& commit,
                          ext2_ino_t ino) {
  if (!members_.contains(ino)) {
    return OkStatus();
  }
  ASSIGN_OR_RETURN(ext2_inode_large inode, ReadInode(fs, ino));
  const ext2_ino_t next = inode.i_dtime;
  if (fs->super->s_last_orphan == ino) {
    fs->super->s_last_orphan = next;
    commit.SuperChanged();
  } else {
    for (ext2_ino_t prev = fs->super->s_last_orphan; prev != 0;) {
      ASSIGN_OR_RETURN(ext2_inode_large p, ReadInode(fs, prev));
      if (p.i_dtime == ino) {
        p.i_dtime = next;
        RETURN_IF_ERROR(WriteInode(fs, prev, p));
        break;
      }
      prev = p.i_dtime;
    }
  }
  members_.erase(ino);
  inode.i_dtime = 0;
  return WriteInode(fs, ino, inode);
}

Status FreeInode(ext2_filsys fs, MetadataCommit& commit, ext2_ino_t ino) {
  ASSIGN_OR_RETURN(ext2_inode_large inode, ReadInode(fs, ino));
  auto* base = reinterpret_cast<ext2_inode*>(&inode);
  if (ext2fs_inode_has_valid_blocks2(fs, base) || HasInlineData(inode)) {
    RETURN_IF_ERROR(FreeBlocks(fs, ino, inode, 0, ~0ULL));
  }
  RETURN_IF_EXT2_ERROR(ext2fs_free_ext_attr(fs, ino, &inode),
                       "cannot free xattr block");
  inode.i_links_count = 0;
  inode.i_size = 0;
  inode.i_size_high = 0;
  inode.i_dtime = static_cast<uint32_t>(Now().tv_sec);
  RETURN_IF_ERROR(WriteInode(fs, ino, inode));
  ext2fs_inode_alloc_stats2(fs, ino, -1, LINUX_S_ISDIR(inode.i_mode));
  commit.InodeChanged(ino);
  return OkStatus();
}

}  // namespace ext4fh
