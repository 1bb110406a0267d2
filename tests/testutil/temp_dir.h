#pragma once

// A directory under $TMPDIR (or /tmp) that is removed with everything in
// it when the object goes away. Never follows mounts: removal stops at
// anything that is still mounted, so a leaked mount is reported, not
// emptied.

#include <string>
#include <vector>

namespace ext4fh::testutil {

class TempDir {
 public:
  TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir();

  const std::string& path() const { return path_; }
  // path() + "/" + name
  std::string Join(const std::string& name) const;

 private:
  std::string path_;
};

// Every TempDir path this process has made, including those already
// removed (for the leak check).
const std::vector<std::string>& TempDirsMade();

}  // namespace ext4fh::testutil
