// main() for integration test binaries: GoogleTest plus the leak check.

#include <gtest/gtest.h>

#include "testutil/leak_check.h"

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  ext4fh::testutil::RegisterLeakCheck();
  return RUN_ALL_TESTS();
}
