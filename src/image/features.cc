#include "image/features.h"

// <e2p/e2p.h> lacks C++ linkage guards.
extern "C" {
#include <e2p/e2p.h>
}

namespace ext4fh {
namespace {

constexpr uint32_t kReadableIncompat =
    EXT2_FEATURE_INCOMPAT_FILETYPE | EXT3_FEATURE_INCOMPAT_RECOVER |
    EXT2_FEATURE_INCOMPAT_META_BG | EXT3_FEATURE_INCOMPAT_EXTENTS |
    EXT4_FEATURE_INCOMPAT_64BIT | EXT4_FEATURE_INCOMPAT_MMP |
    EXT4_FEATURE_INCOMPAT_FLEX_BG | EXT4_FEATURE_INCOMPAT_EA_INODE |
    EXT4_FEATURE_INCOMPAT_CSUM_SEED | EXT4_FEATURE_INCOMPAT_LARGEDIR |
    EXT4_FEATURE_INCOMPAT_INLINE_DATA;

// ro_compat features that do not change how anything is read. verity does
// (file data must be verified), so it is not here.
constexpr uint32_t kReadableRoCompat =
    EXT2_FEATURE_RO_COMPAT_SPARSE_SUPER | EXT2_FEATURE_RO_COMPAT_LARGE_FILE |
    EXT4_FEATURE_RO_COMPAT_HUGE_FILE | EXT4_FEATURE_RO_COMPAT_GDT_CSUM |
    EXT4_FEATURE_RO_COMPAT_DIR_NLINK | EXT4_FEATURE_RO_COMPAT_EXTRA_ISIZE |
    EXT4_FEATURE_RO_COMPAT_QUOTA | EXT4_FEATURE_RO_COMPAT_BIGALLOC |
    EXT4_FEATURE_RO_COMPAT_METADATA_CSUM | EXT4_FEATURE_RO_COMPAT_REPLICA |
    EXT4_FEATURE_RO_COMPAT_READONLY | EXT4_FEATURE_RO_COMPAT_PROJECT |
    EXT4_FEATURE_RO_COMPAT_SHARED_BLOCKS |
    EXT4_FEATURE_RO_COMPAT_ORPHAN_PRESENT;

// ro_compat features whose invariants the write path maintains.
constexpr uint32_t kWritableRoCompat =
    EXT2_FEATURE_RO_COMPAT_SPARSE_SUPER | EXT2_FEATURE_RO_COMPAT_LARGE_FILE |
    EXT4_FEATURE_RO_COMPAT_HUGE_FILE | EXT4_FEATURE_RO_COMPAT_GDT_CSUM |
    EXT4_FEATURE_RO_COMPAT_DIR_NLINK | EXT4_FEATURE_RO_COMPAT_EXTRA_ISIZE |
    EXT4_FEATURE_RO_COMPAT_METADATA_CSUM;

// Appends the names of the bits of `mask` (of feature word `type`).
void AppendNames(int type, uint32_t mask, std::string* out) {
  for (int bit = 0; bit < 32; ++bit) {
    if (mask & (1u << bit)) {
      if (!out->empty()) {
        *out += ",";
      }
      *out += e2p_feature2string(type, 1u << bit);
    }
  }
}

}  // namespace

FeatureVerdict CheckFeatures(const ext2_super_block& sb) {
  FeatureVerdict v;
  uint32_t bad_incompat = sb.s_feature_incompat & ~kReadableIncompat;
  uint32_t bad_ro = sb.s_feature_ro_compat & ~kReadableRoCompat;
  AppendNames(E2P_FEATURE_INCOMPAT, bad_incompat, &v.blocking_read);
  AppendNames(E2P_FEATURE_RO_INCOMPAT, bad_ro, &v.blocking_read);
  v.can_read = v.blocking_read.empty();

  uint32_t ro_only = sb.s_feature_ro_compat & ~kWritableRoCompat;
  AppendNames(E2P_FEATURE_RO_INCOMPAT, ro_only, &v.blocking_write);
  v.can_write = v.can_read && v.blocking_write.empty();
  return v;
}

}  // namespace ext4fh
