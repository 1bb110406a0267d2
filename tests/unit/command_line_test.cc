// The command line: FUSE conventions, every -o option, and bad input.

#include "cli/command_line.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace ext4fh {
namespace {

using ::testing::HasSubstr;

Invocation Parse(std::vector<const char*> args) {
  args.insert(args.begin(), "ext4fh");
  return ParseCommandLine(static_cast<int>(args.size()), args.data());
}

std::string ErrorOf(std::vector<const char*> args) {
  try {
    Parse(std::move(args));
  } catch (const UsageError& e) {
    return e.what();
  }
  return "";
}

TEST(CommandLine, DefaultsToReadWriteBackgroundMount) {
  Invocation inv = Parse({"/img", "/mnt"});
  EXPECT_EQ(inv.mode, Invocation::Mode::kMount);
  EXPECT_EQ(inv.keeper.server.image_path, "/img");
  EXPECT_EQ(inv.keeper.mountpoint, "/mnt");
  EXPECT_TRUE(inv.keeper.server.read_write);
  EXPECT_FALSE(inv.keeper.server.write_required);
  EXPECT_FALSE(inv.keeper.foreground);
  EXPECT_FALSE(inv.keeper.server.errors) << "the superblock's s_errors decides";
}

TEST(CommandLine, ParsesEveryOption) {
  Invocation inv = Parse(
      {"-f", "-o", "ro,allow_other", "-o",
       "default_permissions,attr_timeout=2.5,entry_timeout=0,errors=remount-ro",
       "-o", "offset=1048576,fsck_hooks=/tmp,nosuid", "/img", "/mnt"});
  const KeeperConfig& k = inv.keeper;
  EXPECT_TRUE(k.foreground);
  EXPECT_FALSE(k.server.read_write);
  EXPECT_TRUE(k.allow_other);
  EXPECT_TRUE(k.default_permissions);
  EXPECT_TRUE(k.server.default_permissions);
  EXPECT_DOUBLE_EQ(k.server.attr_timeout, 2.5);
  EXPECT_DOUBLE_EQ(k.server.entry_timeout, 0);
  EXPECT_EQ(k.server.errors, ErrorsPolicy::kRemountRo);
  EXPECT_EQ(k.server.offset, 1048576u);
  EXPECT_EQ(k.fsck_hooks_dir, "/tmp");
  EXPECT_EQ(k.mount_flags, std::vector<std::string>{"nosuid"});
}

TEST(CommandLine, ExplicitRwIsRequired) {
  Invocation inv = Parse({"-o", "rw", "/img", "/mnt"});
  EXPECT_TRUE(inv.keeper.server.read_write);
  EXPECT_TRUE(inv.keeper.server.write_required);
}

TEST(CommandLine, DebugImpliesForeground) {
  EXPECT_TRUE(Parse({"-d", "/img", "/mnt"}).keeper.foreground);
  Invocation inv = Parse({"-o", "debug", "/img", "/mnt"});
  EXPECT_TRUE(inv.keeper.foreground);
  EXPECT_TRUE(inv.keeper.server.debug);
}

TEST(CommandLine, AcceptsWhatFstabPasses) {
  Invocation inv =
      Parse({"-o", "defaults,noatime,_netdev,x-systemd.automount,dev,exec",
             "/img", "/mnt"});
  EXPECT_EQ(inv.keeper.mount_flags,
            (std::vector<std::string>{"dev", "exec"}));
}

TEST(CommandLine, KeepsTheArgumentsForTheServer) {
  Invocation inv = Parse({"-o", "ro", "/img", "/mnt"});
  EXPECT_EQ(inv.keeper.server_args,
            (std::vector<std::string>{"-o", "ro", "/img", "/mnt"}));
}

TEST(CommandLine, HelpAndVersion) {
  EXPECT_EQ(Parse({"--help"}).mode, Invocation::Mode::kHelp);
  EXPECT_EQ(Parse({"-h"}).mode, Invocation::Mode::kHelp);
  EXPECT_EQ(Parse({"--version"}).mode, Invocation::Mode::kVersion);
  EXPECT_THAT(HelpText(), HasSubstr("offset=BYTES"));
}

TEST(CommandLine, CtlVerbs) {
  Invocation inv = Parse({"ctl", "status", "/mnt"});
  EXPECT_EQ(inv.mode, Invocation::Mode::kCtl);
  EXPECT_EQ(inv.ctl_verb, "status");
  EXPECT_EQ(inv.ctl_mountpoint, "/mnt");
  EXPECT_THAT(ErrorOf({"ctl", "dance", "/mnt"}), HasSubstr("usage"));
}

TEST(CommandLine, InternalServerMode) {
  Invocation inv =
      Parse({"--internal-server=7,9", "--internal-syslog", "/img", "/mnt"});
  EXPECT_EQ(inv.mode, Invocation::Mode::kServer);
  EXPECT_EQ(inv.fuse_fd, 7);
  EXPECT_EQ(inv.state_fd, 9);
  EXPECT_TRUE(inv.syslog);
}

TEST(CommandLine, RejectsBadInputWithOneLine) {
  EXPECT_THAT(ErrorOf({"-o", "bogus", "/img", "/mnt"}),
              HasSubstr("unknown mount option 'bogus'"));
  EXPECT_THAT(ErrorOf({"--frobnicate", "/img", "/mnt"}),
              HasSubstr("frobnicate"));
  EXPECT_THAT(ErrorOf({"-o", "attr_timeout=soon", "/img", "/mnt"}),
              HasSubstr("attr_timeout"));
  EXPECT_THAT(ErrorOf({"-o", "entry_timeout=-1", "/img", "/mnt"}),
              HasSubstr("entry_timeout"));
  EXPECT_THAT(ErrorOf({"-o", "errors=explode", "/img", "/mnt"}),
              HasSubstr("errors"));
  EXPECT_THAT(ErrorOf({"-o", "offset=12k", "/img", "/mnt"}),
              HasSubstr("offset"));
  EXPECT_THAT(ErrorOf({"-o", "offset=", "/img", "/mnt"}), HasSubstr("offset"));
  EXPECT_THAT(ErrorOf({"-o", "ro=1", "/img", "/mnt"}), HasSubstr("no value"));
  EXPECT_THAT(ErrorOf({"/img"}), HasSubstr("missing"));
  EXPECT_THAT(ErrorOf({"/img", "/mnt", "/extra"}), HasSubstr("too many"));
  EXPECT_THAT(ErrorOf({"-o", "fsck_hooks=", "/img", "/mnt"}),
              HasSubstr("fsck_hooks"));
  for (const std::string& e :
       {ErrorOf({"-o", "bogus", "/i", "/m"}), ErrorOf({"/img"})}) {
    EXPECT_EQ(e.find('\n'), std::string::npos) << "one line: " << e;
  }
}

}  // namespace
}  // namespace ext4fh
