# Finds the Debian-packaged dependencies and exposes them as imported targets:
#   PkgConfig::FUSE3 (libfuse3-dev), PkgConfig::EXT2FS (libext2fs-dev),
#   PkgConfig::COM_ERR (comerr-dev), PkgConfig::E2P (libext2fs-dev),
#   Boost::program_options,
#   GTest::gtest / GTest::gmock (libgtest-dev, libgmock-dev).
find_package(PkgConfig REQUIRED)
pkg_check_modules(FUSE3 REQUIRED IMPORTED_TARGET fuse3>=3.14)
pkg_check_modules(EXT2FS REQUIRED IMPORTED_TARGET ext2fs>=1.47)
pkg_check_modules(COM_ERR REQUIRED IMPORTED_TARGET com_err)
pkg_check_modules(E2P REQUIRED IMPORTED_TARGET e2p)
find_package(Boost 1.74 REQUIRED COMPONENTS program_options)
find_package(Threads REQUIRED)
if(EXT4FH_BUILD_TESTS)
  find_package(GTest REQUIRED)
endif()
