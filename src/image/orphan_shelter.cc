// Keeping open-unlinked files across an fsck (DESIGN section 3).
//
// A file unlinked while a process holds it open lives on ext4's orphan
// list until the kernel forgets it. After a server crash the fsck hooks
// run e2fsck, which frees every orphan, although those processes still
// hold the files and will go on using them after the restart. So before
// the hooks run, the keeper gives each orphan the kernel holds a name in
// lost+found, ".ext4fh-open-INO", and takes it off the orphan list: e2fsck
// then sees an ordinary file. The next server takes the names away again
// and puts the inodes back on the orphan list, before anything else, so
// a shelter left behind by a crash at any point is undone too.
// Directories are not sheltered: an unlinked directory is empty and has
// no "..", and nothing can be done in it but leave it.

#include <string>

#include "image/dir_edit.h"
#include "image/directory.h"
#include "image/image.h"
#include "image/commit.h"
#include "image/filesystem.h"
#include "image/orphans.h"
#include "image/inode.h"
#include "image/inode_write.h"
#include "image/space.h"

namespace ext4fh {
namespace {

constexpr std::string_view kShelterPrefix = ".ext4fh-open-";

// lost+found's inode number; ENOENT if the root has none.
Result<uint32_t> FindLostAndFound(ext2_filsys fs) {
  ASSIGN_OR_RETURN(ext2_inode_large root, ReadInode(fs, EXT2_ROOT_INO));
  return Directory(fs, EXT2_ROOT_INO, root).Find("lost+found");
}

}  // namespace

Result<int> Image::ShelterOrphans(
    const std::function<bool(uint32_t ino, uint32_t generation)>& held) {
  std::lock_guard lock(mu_);
  if (!commit_ || orphans_->members().empty()) {
    return 0;
  }
  auto shelter = [&]() -> Result<int> {
    ASSIGN_OR_RETURN(uint32_t lpf, FindLostAndFound(fs()));
    int sheltered = 0;
    for (uint32_t ino : std::set<uint32_t>(orphans_->members())) {
      ASSIGN_OR_RETURN(ext2_inode_large inode, ReadInode(fs(), ino));
      if (LINUX_S_ISDIR(inode.i_mode) || !held(ino, inode.i_generation)) {
        continue;
      }
      RETURN_IF_ERROR(orphans_->Remove(fs(), *commit_, ino));
      std::string name = std::string(kShelterPrefix) + std::to_string(ino);
      RETURN_IF_ERROR(AddEntry(fs(), lpf, name, ino, inode.i_mode,
                               AvailableBlocksForRoot(fs())));
      ASSIGN_OR_RETURN(inode, ReadInode(fs(), ino));
      inode.i_links_count = 1;
      inode.i_dtime = 0;
      RETURN_IF_ERROR(WriteInode(fs(), ino, inode));
      ++sheltered;
    }
    return sheltered;
  };
  return Finish(shelter());
}

Result<int> Image::UnshelterOrphans() {
  std::lock_guard lock(mu_);
  if (!commit_) {
    return 0;
  }
  auto unshelter = [&]() -> Result<int> {
    Result<uint32_t> lpf = FindLostAndFound(fs());
    if (!lpf.ok()) {
      return lpf.err() == ENOENT ? Result<int>(0) : Result<int>(lpf.status());
    }
    ASSIGN_OR_RETURN(ext2_inode_large dir, ReadInode(fs(), *lpf));
    std::vector<DirEntry> sheltered;
    RETURN_IF_ERROR(Directory(fs(), *lpf, dir).List(0, [&](const DirEntry& e) {
      if (e.name.starts_with(kShelterPrefix)) {
        sheltered.push_back(e);
      }
      return true;
    }));
    for (const DirEntry& e : sheltered) {
      RETURN_IF_ERROR(RemoveEntry(fs(), *lpf, e.name));
      ASSIGN_OR_RETURN(ext2_inode_large inode, ReadInode(fs(), e.ino));
      if (inode.i_links_count > 1) {  // someone linked it meanwhile
        inode.i_links_count--;
        RETURN_IF_ERROR(WriteInode(fs(), e.ino, inode));
        continue;
      }
      inode.i_links_count = 0;
      orphans_->Add(fs(), *commit_, e.ino, inode);
      RETURN_IF_ERROR(WriteInode(fs(), e.ino, inode));
    }
    return static_cast<int>(sheltered.size());
  };
  return Finish(unshelter());
}

}  // namespace ext4fh

