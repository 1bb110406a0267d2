#include "testutil/temp_dir.h"

#include <stdlib.h>

#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <system_error>

namespace ext4fh::testutil {
namespace {

std::vector<std::string>& MadePaths() {
  static std::vector<std::string> paths;
  return paths;
}

}  // namespace

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string templ = std::string(base && *base ? base : "/tmp") +
                      "/ext4fh-test.XXXXXX";
  if (mkdtemp(templ.data()) == nullptr) {
    throw std::runtime_error("cannot create temp dir");
  }
  path_ = templ;
  MadePaths().push_back(path_);
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

const std::vector<std::string>& TempDirsMade() { return MadePaths(); }

std::string TempDir::Join(const std::string& name) const {
  return path_ + "/" + name;
}

}  // namespace ext4fh::testutil
