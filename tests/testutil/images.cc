#include "testutil/images.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdlib>
#include <map>
#include <memory>

#include "testutil/temp_dir.h"

namespace ext4fh::testutil {

std::string SourceDir() {
  return EXT4FH_SOURCE_DIR_PATH;
}

const std::string& TestImage(const std::string& kind) {
  static std::unique_ptr<TempDir> dir;
  static std::map<std::string, std::string> built;
  auto it = built.find(kind);
  if (it != built.end()) {
    return it->second;
  }
  const char* prebuilt = std::getenv("EXT4FH_TEST_IMAGES");
  if (prebuilt && *prebuilt) {
    std::string path = std::string(prebuilt) + "/" + kind + ".img";
    if (access(path.c_str(), R_OK) == 0) {
      return built.emplace(kind, path).first->second;
    }
  }
  if (!dir) {
    dir = std::make_unique<TempDir>();
  }
  std::string path = dir->Join(kind + ".img");
  CommandResult r =
      Run({SourceDir() + "/images/make-image.sh", kind, path}, 600);
  if (r.exit_code != 0) {
    ADD_FAILURE() << "make-image.sh " << kind << " failed: " << r.err;
  }
  return built.emplace(kind, path).first->second;
}

void CopyImage(const std::string& from, const std::string& to) {
  CommandResult r = Run({"cp", "--sparse=always", from, to});
  ASSERT_EQ(r.exit_code, 0) << r.err;
}

void MakeFs(const std::string& path, const std::vector<std::string>& args,
            const std::string& source_dir, const std::string& size) {
  std::vector<std::string> argv = {"mke2fs", "-q", "-F"};
  argv.insert(argv.end(), args.begin(), args.end());
  if (!source_dir.empty()) {
    argv.push_back("-d");
    argv.push_back(source_dir);
  }
  argv.push_back(path);
  argv.push_back(size);
  CommandResult r = Run(argv);
  ASSERT_EQ(r.exit_code, 0) << "mke2fs failed: " << r.err;
}

CommandResult Fsck(const std::string& image) {
  return Run({"e2fsck", "-fn", image}, 300);
}

}  // namespace ext4fh::testutil
