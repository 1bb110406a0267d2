// Image: rename(2) with RENAME_EXCHANGE, and finishing one that a crash cut
// short. See image.h for the contract.
//
// An exchange of `from` (naming A) and `to` (naming B) records an
// ExchangeNote through the request log first, then rewrites both entries
// in place (inode number and file type, like the kernel's ext4_setent), so
// no name is ever missing:
//   - in one directory, one pass rewrites both: when they share a block,
//     that is one block write, and a kill leaves the old names or the new;
//   - across directories, two writes: in between both names lead to one
//     inode and the other has none. e2fsck then links the nameless one
//     into lost+found as #INO, or clears it when it is an empty regular
//     file (pass 4). So when B is such a file and A is not, `from` is
//     rewritten first and A is the one left nameless for a moment.
// Then the directories' ".." and the link counts of A, B and both parents
// are set to their values after the exchange, computed from the note.
//
// A resent exchange whose first run recorded its note finishes from any
// state (the kernel holds both parents' and both inodes' locks, so only the
// first run and e2fsck changed them): it rewrites or re-adds both names,
// removes the lost+found names e2fsck gave A or B, and sets the counts
// from the note, which also undoes e2fsck's counts of the names it saw. An
// exchange that already finished is not swapped back. When e2fsck cleared
// A or B, the exchange fails with EIO and the image stays as e2fsck left
// it. Not ESTALE: the VFS retries a rename that fails with ESTALE
// (retry_estale in do_renameat2), finds both names leading to one inode,
// and reports success without asking us.

#include <linux/fs.h>
#include <sys/stat.h>

#include <string>

#include "image/dir_edit.h"
#include "image/filesystem.h"
#include "image/image.h"
#include "image/inode.h"
#include "image/inode_write.h"
#include "image/space.h"
#include "util/fault.h"

namespace ext4fh {
namespace {

// Whether e2fsck clears this inode when no entry names it: a regular file
// with no blocks (pass 4, "unattached zero-length inode").
bool FsckClearsUnnamed(const ext2_inode_large& inode) {
  return LINUX_S_ISREG(inode.i_mode) && inode.i_blocks == 0 &&
         !HasInlineData(inode);
}

Status SetLinks(ext2_filsys fs, uint32_t ino, uint32_t links, unsigned times,
                const timespec& now) {
  ASSIGN_OR_RETURN(ext2_inode_large inode, ReadInode(fs, ino));
  inode.i_links_count = static_cast<uint16_t>(links);
  SetTimes(inode, times, now);
  return WriteInode(fs, ino, inode);
}

}  // namespace

std::array<uint64_t, 3> ExchangeNote::Pack() const {
  return {ino[0] | uint64_t{ino[1]} << 32,
          generation[0] | uint64_t{generation[1]} << 32,
          links[0] | uint64_t{links[1]} << 16 | uint64_t{dir_links[0]} << 32 |
              uint64_t{dir_links[1]} << 48};
}

ExchangeNote ExchangeNote::Unpack(const std::array<uint64_t, 3>& words) {
  ExchangeNote note;
  for (int i = 0; i < 2; ++i) {
    note.ino[i] = static_cast<uint32_t>(words[0] >> (32 * i));
    note.generation[i] = static_cast<uint32_t>(words[1] >> (32 * i));
    note.links[i] = static_cast<uint16_t>(words[2] >> (16 * i));
    note.dir_links[i] = static_cast<uint16_t>(words[2] >> (32 + 16 * i));
  }
  return note;
}

Status Image::Exchange(const ExchangeNames& x, const ExchangeNote& note,
                       const ext2_inode_large& a, const ext2_inode_large& b,
                       const RenameRun& run) {
  if (run.record) {
    run.record(note);
  }
  bool from_first = FsckClearsUnnamed(b) && !FsckClearsUnnamed(a);
  RETURN_IF_ERROR(SwapEntries(x, note, {a.i_mode, b.i_mode}, from_first));
  return SettleExchange(x, note, {a.i_mode, b.i_mode});
}

Status Image::SwapEntries(const ExchangeNames& x, const ExchangeNote& note,
                          std::array<mode_t, 2> modes, bool from_first) {
  EntryTarget to_a{x.to, note.ino[0], modes[0]};
  EntryTarget from_b{x.from, note.ino[1], modes[1]};
  if (x.from_dir == x.to_dir) {
    RETURN_IF_ERROR(SetEntries(fs(), x.from_dir, std::array{to_a, from_b}));
    CrashPoint("mid-rename");  // done on the image, not logged yet
    return OkStatus();
  }
  std::pair first{x.to_dir, to_a}, second{x.from_dir, from_b};
  if (from_first) {
    std::swap(first, second);
  }
  RETURN_IF_ERROR(SetEntries(fs(), first.first, {&first.second, 1}));
  CrashPoint("mid-rename");
  return SetEntries(fs(), second.first, {&second.second, 1});
}

// The ".." entries and link counts after the exchange: A's and B's own
// counts do not change; a parent that gives a subdirectory for a
// non-directory loses a link, and the other gains one.
Status Image::SettleExchange(const ExchangeNames& x, const ExchangeNote& note,
                             std::array<mode_t, 2> modes) {
  bool a_dir = LINUX_S_ISDIR(modes[0]), b_dir = LINUX_S_ISDIR(modes[1]);
  int from_delta = 0;
  if (x.from_dir != x.to_dir) {
    from_delta = int{b_dir} - int{a_dir};
    if (a_dir) {
      RETURN_IF_ERROR(SetDotDot(fs(), note.ino[0], x.to_dir));
    }
    if (b_dir) {
      RETURN_IF_ERROR(SetDotDot(fs(), note.ino[1], x.from_dir));
    }
  }
  timespec now = Now();
  for (int i = 0; i < 2; ++i) {
    RETURN_IF_ERROR(SetLinks(fs(), note.ino[i], note.links[i], kCtime, now));
  }
  RETURN_IF_ERROR(SetLinks(fs(), x.from_dir,
                           DirLinksAfter(note.dir_links[0], from_delta),
                           kMtime | kCtime, now));
  return SetLinks(fs(), x.to_dir, DirLinksAfter(note.dir_links[1], -from_delta),
                  kMtime | kCtime, now);
}

Status Image::FinishExchange(const ExchangeNames& x, const ExchangeNote& note) {
  std::array<mode_t, 2> modes{};
  for (int i = 0; i < 2; ++i) {
    ASSIGN_OR_RETURN(ext2_inode_large inode, ReadInode(fs(), note.ino[i]));
    if (inode.i_links_count == 0 || inode.i_dtime != 0 ||
        inode.i_generation != note.generation[i]) {
      return Status::Error(EIO, "fsck cleared an exchanged inode");
    }
    modes[i] = inode.i_mode;
  }
  RETURN_IF_ERROR(PutEntry(x.from_dir, x.from, note.ino[1], modes[1]));
  RETURN_IF_ERROR(PutEntry(x.to_dir, x.to, note.ino[0], modes[0]));
  for (int i = 0; i < 2; ++i) {
    RETURN_IF_ERROR(DropFsckName(note.ino[i], LINUX_S_ISDIR(modes[i])));
  }
  return SettleExchange(x, note, modes);
}

// `name` in `dir` leads to `ino`: rewritten, or added again if e2fsck
// removed it (a directory that had two names).
Status Image::PutEntry(uint32_t dir, std::string_view name, uint32_t ino,
                       mode_t mode) {
  EntryTarget target{name, ino, mode};
  Status st = SetEntries(fs(), dir, {&target, 1});
  if (st.err() == ENOENT) {
    return AddEntry(fs(), dir, name, ino, mode, AvailableBlocksForRoot(fs()));
  }
  return st;
}

// Removes lost+found/#INO, the name e2fsck gives an unattached inode.
Status Image::DropFsckName(uint32_t ino, bool directory) {
  ASSIGN_OR_RETURN(ext2_inode_large root, ReadInode(fs(), EXT2_ROOT_INO));
  Result<uint32_t> lost = FindEntry(EXT2_ROOT_INO, root, "lost+found");
  if (!lost.ok()) {
    return OkStatus();
  }
  ASSIGN_OR_RETURN(ext2_inode_large dir, ReadInode(fs(), *lost));
  std::string name = "#" + std::to_string(ino);
  if (FindEntry(*lost, dir, name).value_or(0) != ino) {
    return OkStatus();
  }
  RETURN_IF_ERROR(RemoveEntry(fs(), *lost, name));
  return TouchDir(fs(), *lost, Now(), directory ? -1 : 0);
}

}  // namespace ext4fh
