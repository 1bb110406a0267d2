#include "image/htree.h"

#include <cstring>
#include <string>

namespace ext4fh {
namespace {

constexpr uint32_t kRootInfoOffset = 24;  // after the "." and ".." records
constexpr uint32_t kRootEntriesOffset = 32;
constexpr uint32_t kNodeEntriesOffset = 8;  // after a fake empty record
constexpr uint32_t kEntrySize = 8;
constexpr uint32_t kBlockMask = 0x0fffffff;

uint32_t Le32(const char* p) {
  uint32_t v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}

uint16_t Le16(const char* p) {
  uint16_t v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}

Status BadIndex(const char* what) {
  return Status::Error(EUCLEAN, std::string("bad htree index: ") + what);
}

// One index block of the path from the root to a leaf.
struct IndexLevel {
  std::vector<char> block;
  uint32_t entries = 0;  // offset of the entry array in `block`
  uint32_t count = 0;
  uint32_t pos = 0;      // the entry the path goes through

  uint32_t Hash(uint32_t i) const {
    return Le32(block.data() + entries + i * kEntrySize);
  }
  uint32_t Child(uint32_t i) const {
    return Le32(block.data() + entries + i * kEntrySize + 4) & kBlockMask;
  }
};

Status ParseLevel(IndexLevel* level, uint32_t entries_offset) {
  if (entries_offset + 4 > level->block.size()) {
    return BadIndex("truncated count/limit");
  }
  const char* cl = level->block.data() + entries_offset;
  uint32_t limit = Le16(cl);
  level->count = Le16(cl + 2);
  level->entries = entries_offset;
  if (level->count == 0 || level->count > limit ||
      entries_offset + limit * kEntrySize > level->block.size()) {
    return BadIndex("bad count or limit");
  }
  return OkStatus();
}

// The last entry whose hash is <= `hash` (entry 0 covers everything below
// entry 1), by binary search as in dx_probe.
uint32_t FindPosition(const IndexLevel& level, uint32_t hash) {
  uint32_t lo = 1;
  uint32_t hi = level.count;
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    if (level.Hash(mid) > hash) {
      hi = mid;
    } else {
      lo = mid + 1;
    }
  }
  return lo - 1;
}

// The hash version to use: the root's, made unsigned when the superblock
// says this filesystem was created on an unsigned-char platform.
int EffectiveHashVersion(ext2_filsys fs, int root_version) {
  if (root_version <= EXT2_HASH_TEA &&
      (fs->super->s_flags & EXT2_FLAGS_UNSIGNED_HASH)) {
    return root_version + 3;
  }
  return root_version;
}

class HtreeWalk {
 public:
  HtreeWalk(ext2_filsys fs, const DirBlockReader& read)
      : fs_(fs), read_(read) {}

  // Hashes `name` and walks from the root to its first candidate leaf.
  Status Probe(std::string_view name);
  Status Descend();
  // Moves to the next leaf if the hash continues there.
  Result<bool> NextLeaf();
  uint32_t leaf() const { return path_.back().Child(path_.back().pos); }

 private:
  Status ReadLevel(uint32_t lblk, IndexLevel* level);

  ext2_filsys fs_;
  const DirBlockReader& read_;
  std::vector<IndexLevel> path_;
  uint32_t hash_ = 0;
};

Status HtreeWalk::ReadLevel(uint32_t lblk, IndexLevel* level) {
  ASSIGN_OR_RETURN(bool present, read_(lblk, &level->block));
  if (!present) {
    return BadIndex("index block is a hole");
  }
  return ParseLevel(level, kNodeEntriesOffset);
}

Status HtreeWalk::Probe(std::string_view name) {
  IndexLevel root;
  ASSIGN_OR_RETURN(bool present, read_(0, &root.block));
  if (!present || root.block.size() < kRootEntriesOffset) {
    return BadIndex("missing root");
  }
  const char* info = root.block.data() + kRootInfoOffset;
  uint8_t version = info[4];
  uint8_t info_length = info[5];
  uint8_t levels = info[6];
  uint8_t max_levels = ext2fs_has_feature_largedir(fs_->super) ? 3 : 2;
  if (Le32(info) != 0 || info_length != 8 || levels >= max_levels ||
      version > EXT2_HASH_TEA) {
    return BadIndex("bad root info");
  }
  RETURN_IF_ERROR(ParseLevel(&root, kRootEntriesOffset));
  ext2_dirhash_t hash = 0, minor = 0;
  errcode_t code = ext2fs_dirhash2(
      EffectiveHashVersion(fs_, version), name.data(),
      static_cast<int>(name.size()), nullptr, 0, fs_->super->s_hash_seed,
      &hash, &minor);
  if (code != 0) {
    return BadIndex("unsupported hash");
  }
  hash_ = hash;
  path_.assign(1, std::move(root));
  path_.resize(1 + levels);
  return Descend();
}

// Positions every level of the path by the hash, reading the blocks below
// the root.
Status HtreeWalk::Descend() {
  path_[0].pos = FindPosition(path_[0], hash_);
  for (size_t i = 1; i < path_.size(); ++i) {
    const IndexLevel& parent = path_[i - 1];
    RETURN_IF_ERROR(ReadLevel(parent.Child(parent.pos), &path_[i]));
    path_[i].pos = FindPosition(path_[i], hash_);
  }
  return OkStatus();
}

Result<bool> HtreeWalk::NextLeaf() {
  size_t depth = path_.size();
  while (depth > 0 && path_[depth - 1].pos + 1 >= path_[depth - 1].count) {
    --depth;
  }
  if (depth == 0) {
    return false;
  }
  IndexLevel& level = path_[depth - 1];
  ++level.pos;
  if ((level.Hash(level.pos) & ~1u) != hash_) {
    return false;
  }
  for (size_t i = depth; i < path_.size(); ++i) {
    const IndexLevel& parent = path_[i - 1];
    RETURN_IF_ERROR(ReadLevel(parent.Child(parent.pos), &path_[i]));
    path_[i].pos = 0;
  }
  return true;
}

}  // namespace

Status HtreeSearch(ext2_filsys fs, std::string_view name,
                   const DirBlockReader& read, const LeafSearch& search) {
  HtreeWalk walk(fs, read);
  RETURN_IF_ERROR(walk.Probe(name));
  std::vector<char> leaf;
  while (true) {
    ASSIGN_OR_RETURN(bool present, read(walk.leaf(), &leaf));
    if (present) {
      ASSIGN_OR_RETURN(bool found, search(leaf));
      if (found) {
        return OkStatus();
      }
    }
    ASSIGN_OR_RETURN(bool more, walk.NextLeaf());
    if (!more) {
      return OkStatus();
    }
  }
}

}  // namespace ext4fh
