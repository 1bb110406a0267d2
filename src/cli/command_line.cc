#include "cli/command_line.h"

#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/program_options.hpp>
#include <charconv>
#include <sstream>

#include "keeper/control.h"

namespace ext4fh {
namespace po = boost::program_options;
namespace {

// Mount flags handed to the kernel as they are.
constexpr const char* kPassThroughFlags[] = {"nosuid", "nodev", "noexec",
                                             "suid",   "dev",   "exec"};
// Options fstab and mount(8) may hand us that have no meaning here.
constexpr const char* kIgnoredOptions[] = {
    "defaults", "auto",     "noauto",     "user",     "nouser", "users",
    "_netdev",  "nofail",   "lazytime",   "nodiratime", "diratime",
    "async",    "sync"};

template <typename T>
bool Contains(const T& list, const std::string& s) {
  for (const char* item : list) {
    if (s == item) {
      return true;
    }
  }
  return false;
}

double ParseSeconds(const std::string& key, const std::string& value) {
  try {
    size_t used = 0;
    double v = std::stod(value, &used);
    if (used == value.size() && v >= 0 && v < 1e9) {
      return v;
    }
  } catch (const std::exception&) {
  }
  throw UsageError("bad value for " + key + ": '" + value +
                   "' (expected seconds >= 0)");
}

uint64_t ParseCount(const std::string& key, const std::string& value,
                    const char* what) {
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
  if (value.empty() || ec != std::errc() || end != value.data() + value.size()) {
    throw UsageError("bad value for " + key + ": '" + value + "' (expected " +
                     what + ")");
  }
  return v;
}

ErrorsPolicy ParseErrors(const std::string& value) {
  if (value == "continue") {
    return ErrorsPolicy::kContinue;
  }
  if (value == "remount-ro") {
    return ErrorsPolicy::kRemountRo;
  }
  if (value == "panic") {
    return ErrorsPolicy::kPanic;
  }
  throw UsageError("bad value for errors: '" + value +
                   "' (expected continue, remount-ro or panic)");
}

void RequireNoValue(const std::string& key, bool has_value) {
  if (has_value) {
    throw UsageError("option '" + key + "' takes no value");
  }
}

// An absolute, canonical form of `path` when it exists, else absolute.
std::string Absolute(const std::string& path) {
  char buf[PATH_MAX];
  if (realpath(path.c_str(), buf) != nullptr) {
    return buf;
  }
  if (!path.empty() && path[0] == '/') {
    return path;
  }
  char cwd[PATH_MAX];
  return getcwd(cwd, sizeof(cwd)) ? std::string(cwd) + "/" + path : path;
}

// Applies one -o option to `config`.
void ApplyOption(const std::string& opt, KeeperConfig& config) {
  size_t eq = opt.find('=');
  std::string key = opt.substr(0, eq);
  bool has_value = eq != std::string::npos;
  std::string value = has_value ? opt.substr(eq + 1) : "";
  ServerConfig& server = config.server;
  if (key == "ro" || key == "rw") {
    RequireNoValue(key, has_value);
    server.read_write = key == "rw";
    server.write_required = key == "rw";
  } else if (key == "allow_other") {
    RequireNoValue(key, has_value);
    config.allow_other = server.allow_other = true;
  } else if (key == "default_permissions") {
    RequireNoValue(key, has_value);
    config.default_permissions = server.default_permissions = true;
  } else if (key == "debug") {
    RequireNoValue(key, has_value);
    server.debug = true;
    config.foreground = true;
  } else if (key == "relatime" || key == "atime") {
    RequireNoValue(key, has_value);
    server.atime = AtimePolicy::kRelatime;
  } else if (key == "strictatime") {
    RequireNoValue(key, has_value);
    server.atime = AtimePolicy::kStrict;
  } else if (key == "noatime") {
    RequireNoValue(key, has_value);
    server.atime = AtimePolicy::kNever;
  } else if (key == "attr_timeout") {
    server.attr_timeout = ParseSeconds(key, value);
  } else if (key == "entry_timeout") {
    server.entry_timeout = ParseSeconds(key, value);
    config.entry_timeout_given = true;
  } else if (key == "errors") {
    server.errors = ParseErrors(value);
  } else if (key == "offset") {
    server.offset = ParseCount(key, value, "a byte count");
  } else if (key == "fsck_hooks") {
    if (value.empty()) {
      throw UsageError("option 'fsck_hooks' needs a directory");
    }
    config.fsck_hooks_dir = Absolute(value);
    struct stat st;
    if (stat(config.fsck_hooks_dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
      throw UsageError("bad value for fsck_hooks: '" + value +
                       "' (not a directory)");
    }
  } else if (key == "nofsck") {
    RequireNoValue(key, has_value);
    config.run_fsck_hooks = false;
  } else if (key == "crash_limit") {
    uint64_t limit = ParseCount(key, value, "1 to 1000");
    if (limit < 1 || limit > 1000) {
      throw UsageError("bad value for crash_limit: '" + value +
                       "' (expected 1 to 1000)");
    }
    config.crash_limit = static_cast<int>(limit);
  } else if (key == "crash_window") {
    config.crash_window = std::chrono::seconds(
        static_cast<int64_t>(ParseSeconds(key, value)));
  } else if (Contains(kPassThroughFlags, key)) {
    RequireNoValue(key, has_value);
    config.mount_flags.push_back(key);
  } else if (!Contains(kIgnoredOptions, key) && !key.starts_with("x-")) {
    throw UsageError("unknown mount option '" + opt + "'");
  }
}

void ApplyOptions(const std::vector<std::string>& groups, KeeperConfig& config) {
  for (const std::string& group : groups) {
    std::stringstream in(group);
    std::string opt;
    while (std::getline(in, opt, ',')) {
      if (!opt.empty()) {
        ApplyOption(opt, config);
      }
    }
  }
}

po::options_description VisibleOptions() {
  po::options_description opts("Options");
  opts.add_options()
      ("help,h", "show this help and exit")
      ("version,V", "show the version and exit")
      ("foreground,f", "stay in the foreground")
      ("debug,d", "log every request (implies -f)")
      ("options,o", po::value<std::vector<std::string>>()->composing(),
       "mount options, comma-separated (see below)");
  return opts;
}

po::options_description HiddenOptions() {
  po::options_description opts;
  opts.add_options()
      ("internal-server", po::value<std::string>())
      ("internal-syslog", "")
      ("positional", po::value<std::vector<std::string>>());
  return opts;
}

void ParseServerFds(const std::string& value, Invocation& inv) {
  if (std::sscanf(value.c_str(), "%d,%d", &inv.fuse_fd, &inv.state_fd) != 2) {
    throw UsageError("bad --internal-server value");
  }
  inv.mode = Invocation::Mode::kServer;
}

Invocation ParseCtl(const std::vector<std::string>& args) {
  if (args.size() != 3 || (args[1] != "status" && args[1] != "restart")) {
    throw UsageError("usage: ext4fh ctl status|restart MOUNTPOINT");
  }
  Invocation inv;
  inv.mode = Invocation::Mode::kCtl;
  inv.ctl_verb = args[1];
  inv.ctl_mountpoint = CanonicalMountpoint(args[2]);
  return inv;
}

po::variables_map ParseArgs(int argc, const char* const argv[]) {
  po::options_description all;
  all.add(VisibleOptions()).add(HiddenOptions());
  po::positional_options_description positional;
  positional.add("positional", -1);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv)
                  .options(all)
                  .positional(positional)
                  .style(po::command_line_style::unix_style)
                  .run(),
              vm);
    po::notify(vm);
  } catch (const po::error& e) {
    throw UsageError(e.what());
  }
  return vm;
}

void ApplyArgs(const po::variables_map& vm, Invocation& inv) {
  KeeperConfig& config = inv.keeper;
  config.server.read_write = true;
  config.foreground = vm.count("foreground") > 0;
  if (vm.count("debug")) {
    config.server.debug = true;
    config.foreground = true;
  }
  if (vm.count("options")) {
    ApplyOptions(vm["options"].as<std::vector<std::string>>(), config);
  }
  if (!config.default_permissions && !config.entry_timeout_given) {
    // ext4fh checks permissions in LOOKUP; cached names would skip that.
    config.server.entry_timeout = 0;
  }
  std::vector<std::string> positional;
  if (vm.count("positional")) {
    positional = vm["positional"].as<std::vector<std::string>>();
  }
  if (positional.size() != 2) {
    throw UsageError(positional.size() < 2 ? "missing IMAGE or MOUNTPOINT"
                                           : "too many arguments");
  }
  config.server.image_path = Absolute(positional[0]);
  config.mountpoint = Absolute(positional[1]);
}

}  // namespace

Invocation ParseCommandLine(int argc, const char* const argv[]) {
  if (argc >= 2 && std::string(argv[1]) == "ctl") {
    return ParseCtl(std::vector<std::string>(argv + 1, argv + argc));
  }
  po::variables_map vm = ParseArgs(argc, argv);
  Invocation inv;
  if (vm.count("help")) {
    inv.mode = Invocation::Mode::kHelp;
    return inv;
  }
  if (vm.count("version")) {
    inv.mode = Invocation::Mode::kVersion;
    return inv;
  }
  ApplyArgs(vm, inv);
  if (vm.count("internal-server")) {
    ParseServerFds(vm["internal-server"].as<std::string>(), inv);
    inv.syslog = vm.count("internal-syslog") > 0;
  }
  inv.keeper.server_args.assign(argv + 1, argv + argc);
  return inv;
}

std::string HelpText() {
  std::ostringstream out;
  out << "Usage: ext4fh [options] IMAGE MOUNTPOINT\n"
         "       ext4fh ctl status|restart MOUNTPOINT\n\n"
         "Serves an ext2/ext3/ext4 image through FUSE. The FUSE nodeid is a\n"
         "persistent file handle, so the server can crash and restart, and\n"
         "NFS re-exports keep working.\n\n"
      << VisibleOptions()
      << "\nMount options (-o):\n"
         "  ro | rw                 read-only, or read-write (default rw)\n"
         "  allow_other             let other users access the mount\n"
         "  default_permissions     let the kernel check permissions and ACLs\n"
         "  attr_timeout=SECONDS    how long the kernel caches attributes (1)\n"
         "  entry_timeout=SECONDS   how long the kernel caches names (1; 0\n"
         "                          without default_permissions)\n"
         "  relatime | strictatime | noatime\n"
         "                          when reads update atime (relatime)\n"
         "  errors=continue|remount-ro|panic\n"
         "                          what to do on detected corruption\n"
         "                          (default: the image's, set by tune2fs -e)\n"
         "  offset=BYTES            filesystem starts at BYTES into IMAGE\n"
         "  fsck_hooks=DIR          also run the fsck hooks in DIR (after the\n"
         "                          shipped ones) after a crash and before\n"
         "                          mounting an image that is not clean\n"
         "  nofsck                  run no fsck hooks at all\n"
         "  crash_limit=N           give up (unmount) after N server crashes\n"
         "                          within crash_window (5)\n"
         "  crash_window=SECONDS    see crash_limit (60)\n"
         "  debug                   same as -d\n"
         "  nosuid, nodev, noexec   passed to the kernel\n\n"
         "Exit status:\n"
         "  0 mounted (or unmounted cleanly with -f)\n"
         "  1 failure after the checks (mount, server, I/O)\n"
         "  2 bad command line\n"
         "  3 image missing, unreadable, not ext2/3/4, unsupported, damaged,\n"
         "    or in use\n"
         "  4 mountpoint missing, not a directory, or already mounted\n"
         "\nctl status prints key: value lines about the mount; ctl restart\n"
         "replaces the server process (applications only see a pause). ctl\n"
         "exits 0, 1 on an error, 4 if no ext4fh serves MOUNTPOINT.\n";
  return out.str();
}

}  // namespace ext4fh
