#pragma once

// A 64-bit integer mixer: every input bit affects every output bit. Used
// to spread nodeids over a hash table and to digest lists of them.

#include <cstdint>

namespace ext4fh {

// The splitmix64 finalizer.
inline uint64_t Mix64(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

}  // namespace ext4fh
