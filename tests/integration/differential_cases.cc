#include "differential_cases.h"

namespace ext4fh {

const std::vector<std::string>& FixtureSteps() {
  static const std::vector<std::string> kSteps = {
      "open 0 file wronly,creat 0644", "write 0 hello-world", "close 0",
      "open 0 file2 wronly,creat 0644", "write 0 second", "close 0",
      "open 0 exec wronly,creat 0755", "write 0 #!/bin/sh", "close 0",
      "open 0 ro_file wronly,creat 0444", "write 0 readonly", "close 0",
      "open 0 secret wronly,creat 0600", "write 0 secret", "close 0",
      "open 0 big wronly,creat 0666", "write 0 pat:200000", "close 0",
      "mkdir dir 0755", "open 0 dir/inner wronly,creat 0644", "close 0",
      "mkdir empty 0755",
      "mkdir ro_dir 0555", "open 0 ro_dir/f wronly,creat 0644", "close 0",
      "chmod ro_dir 0555",
      "mkdir nox_dir 0766", "open 0 nox_dir/f wronly,creat 0644", "close 0",
      "chmod nox_dir 0666",
      "mkdir sticky 0777", "chmod sticky 01777",
      "open 0 sticky/root_f wronly,creat 0666", "close 0",
      "open 0 sticky/nobody_f wronly,creat 0666", "close 0",
      "chown sticky/nobody_f 65534 65534",
      "mkdir mine 0755", "chown mine 65534 65534",
      "open 0 mine/f wronly,creat 0644", "close 0",
      "chown mine/f 65534 65534",
      "open 0 nobody_file wronly,creat 0644", "write 0 nobody", "close 0",
      "chown nobody_file 65534 65534",
      "open 0 shared wronly,creat 0666", "write 0 shared-data", "close 0",
      "symlink file link", "symlink nowhere dangling", "symlink dir dirlink",
      "mknod fifo fifo 0644",
      "open 0 setuid wronly,creat 0755", "close 0", "chmod setuid 04755",
      "open 0 setgid wronly,creat 0755", "close 0", "chmod setgid 02775",
      "chown setgid 65534 0", "chmod setgid 02775",
      "mkdir sgid_dir 0777", "chown sgid_dir 0 100", "chmod sgid_dir 02777",
      "mkdir acl_dir 0777", "setdefacl acl_dir u::rwx,u:65534:rwx,g::r-x,m::rwx,o::r-x",
      "open 0 acl_file wronly,creat 0640", "close 0",
      "setacl acl_file u::rw,u:65534:rw,g::r,m::rw,o::-",
      "setxattr file user.color blue",
      // Setuid/setgid files anyone may write: what a non-root write or
      // truncate clears (the kernel's setattr_should_drop_suidgid).
      "open 0 suidgid wronly,creat 0755", "close 0", "chmod suidgid 06777",
      "open 0 suidgid_nogx wronly,creat 0755", "close 0",
      "chmod suidgid_nogx 06767",
      "open 0 sgid_nogx wronly,creat 0755", "close 0", "chmod sgid_nogx 02767",
      // A file anyone may write, with times long past.
      "open 0 old_times wronly,creat 0666", "write 0 old", "close 0",
      "chmod old_times 0666", "utimens old_times 1000.000000001 2000.000000002",
  };
  return kSteps;
}

namespace {

// A tree deeper than PATH_MAX, built and used through relative paths one
// `cd` at a time: over-long absolute paths fail with ENAMETOOLONG before
// reaching the filesystem, relative ones work deep down, a 256-byte name
// fails without damage; then the tree is removed bottom-up.
DiffCase DeepTreeCase() {
  const int kLevels = 18;  // 18 * 251 bytes: deeper than PATH_MAX (4096)
  const std::string level(250, 'd');
  const std::string n255(255, 'm'), n256(256, 'n');
  const std::string e79(79, 'e');  // 16 levels + e79: 4095 bytes, fits
  std::string down16;
  for (int i = 0; i < 16; ++i) {
    down16 += level + "/";
  }
  const std::string abs = "@/" + down16 + level + "/" + level + "/";
  std::vector<std::string> s;
  for (int i = 0; i < kLevels; ++i) {
    if (i == 16) {
      s.insert(s.end(), {"open 0 " + e79 + " wronly,creat 0644", "close 0"});
    }
    s.insert(s.end(), {"mkdir " + level + " 0755", "cd " + level});
  }
  s.insert(s.end(), {
      "getcwd", "open 0 f wronly,creat 0644", "write 0 deep-data", "fsync 0",
      "close 0", "stat f", "mkdir sub 0755", "rename f sub/g", "link sub/g h",
      "symlink ../../x sl", "readlink sl", "mknod p fifo 0600",
      "setxattr h user.k v", "getxattr h user.k", "truncate h 4",
      "open 1 h rdonly", "read 1 100", "close 1", "rename sub/g ../up",
      "rename ../up sub/g", "open 0 " + n255 + " wronly,creat 0644", "close 0",
      "mkdir " + n256 + " 0755", "open 0 " + n256 + " wronly,creat 0644",
      "symlink x " + n256, "link h " + n256, "rename h " + n256,
      "mknod " + n256 + " fifo 0644", "stat " + n256, "unlink " + n256,
      "rmdir " + n256, "ls .", "stat ..", "ls ..",
      "stat " + abs + "h", "open 0 " + abs + "new wronly,creat 0644",
      "mkdir " + abs + "x 0755", "unlink " + abs + "h",
      "rename h " + abs + "h2", "ls .",
      "cd @", "getcwd", "stat " + down16 + e79, "stat " + down16 + e79 + "x",
      "cd " + down16, "getcwd", "unlink " + e79, "cd " + level + "/" + level,
      "unlink sub/g", "rmdir sub", "unlink h", "unlink sl", "unlink p",
      "unlink " + n255});
  for (int i = 0; i < kLevels; ++i) {
    s.insert(s.end(), {"cd ..", "rmdir " + level});
  }
  s.push_back("getcwd");
  return {"deep_tree_past_path_max", s};
}

// Marks the start of a group in the list below: the cases after it, up to
// the next marker, are in group `name`.
DiffCase Group(const char* name) {
  return {.name = nullptr, .steps = {}, .group = name};
}

std::vector<DiffCase> MakeCases() {
  return {
      Group("mkdir"),
      {"mkdir_new", {"mkdir new 0755", "stat new", "ls ."}},
      {"mkdir_mode_bits", {"mkdir m1 0700", "mkdir m2 01777", "mkdir m3 0000", "stat m1", "stat m2", "stat m3"}},
      {"mkdir_exists_file", {"mkdir file 0755"}},
      {"mkdir_exists_dir", {"mkdir dir 0755"}},
      {"mkdir_exists_symlink", {"mkdir dangling 0755"}},
      {"mkdir_missing_parent", {"mkdir nope/new 0755"}},
      {"mkdir_in_file", {"mkdir file/new 0755"}},
      {"mkdir_in_ro_dir", {"mkdir ro_dir/new 0755"}},
      {"mkdir_in_nox_dir", {"mkdir nox_dir/new 0755"}},
      {"mkdir_in_sgid_dir", {"mkdir sgid_dir/sub 0755", "stat sgid_dir/sub"}},
      {"mkdir_name_255", {"mkdir " + std::string(255, 'd') + " 0755", "ls ."}},
      {"mkdir_name_256", {"mkdir " + std::string(256, 'd') + " 0755", "ls ."}},
      {"mkdir_parent_links", {"mkdir dir/a 0755", "mkdir dir/b 0755", "stat dir", "rmdir dir/a", "stat dir"}},
      {"mkdir_acl_inherit", {"mkdir acl_dir/sub 0750", "getacl acl_dir/sub", "stat acl_dir/sub"}},
      Group("rmdir"),
      {"rmdir_empty", {"rmdir empty", "ls ."}},
      {"rmdir_not_empty", {"rmdir dir"}},
      {"rmdir_file", {"rmdir file"}},
      {"rmdir_missing", {"rmdir nope"}},
      {"rmdir_symlink_to_dir", {"rmdir dirlink"}},
      {"rmdir_in_ro_dir", {"mkdir ro_dir/x 0755", "rmdir ro_dir/x"}},
      {"rmdir_dot", {"rmdir empty/."}},
      {"rmdir_cwd_removed_then_create", {"open 0 empty rdonly,directory", "rmdir empty", "fstat 0", "close 0"}},
      Group("unlink"),
      {"unlink_file", {"unlink file", "ls ."}},
      {"unlink_dir", {"unlink dir"}},
      {"unlink_missing", {"unlink nope"}},
      {"unlink_symlink", {"unlink link", "stat file"}},
      {"unlink_in_ro_dir", {"unlink ro_dir/f"}},
      {"unlink_sticky_other", {"unlink sticky/root_f"}},
      {"unlink_sticky_own", {"unlink sticky/nobody_f"}},
      {"unlink_hardlink_counts", {"link file hl", "stat file", "unlink hl", "stat file"}},
      {"unlink_open_file", {"open 0 shared rdwr", "unlink shared", "fstat 0", "pwrite 0 0 still-here", "pread 0 0 20", "close 0", "ls ."}},
      {"unlink_name_256", {"unlink " + std::string(256, 'u')}},
      Group("create_open"),
      {"create_new", {"open 0 new wronly,creat 0640", "fstat 0", "close 0", "stat new"}},
      {"create_excl_exists", {"open 0 file wronly,creat,excl 0644"}},
      {"create_excl_new", {"open 0 new wronly,creat,excl 0600", "close 0", "stat new"}},
      {"create_mode_0", {"open 0 m0 wronly,creat 0000", "write 0 data", "close 0", "stat m0", "open 1 m0 rdonly"}},
      {"create_in_ro_dir", {"open 0 ro_dir/new wronly,creat 0644"}},
      {"create_in_missing_dir", {"open 0 nope/new wronly,creat 0644"}},
      {"create_name_255", {"open 0 " + std::string(255, 'c') + " wronly,creat 0644", "close 0", "ls ."}},
      {"create_name_256", {"open 0 " + std::string(256, 'c') + " wronly,creat 0644"}},
      {"create_through_dangling", {"open 0 dangling wronly,creat 0644", "close 0", "stat nowhere"}},
      {"create_in_sgid_dir", {"open 0 sgid_dir/f wronly,creat 02755", "close 0", "stat sgid_dir/f"}},
      {"create_acl_inherit", {"open 0 acl_dir/f wronly,creat 0666", "close 0", "getacl acl_dir/f", "stat acl_dir/f"}},
      {"create_setuid_mode", {"open 0 suid wronly,creat 04755", "close 0", "stat suid"}},
      {"open_trunc", {"open 0 shared wronly,trunc", "fstat 0", "close 0", "stat shared"}},
      {"open_trunc_ro_file", {"open 0 ro_file wronly,trunc"}},
      {"open_write_ro_file", {"open 0 ro_file wronly"}},
      {"open_read_secret", {"open 0 secret rdonly"}},
      {"open_dir_for_write", {"open 0 dir wronly"}},
      {"open_directory_flag_on_file", {"open 0 file rdonly,directory"}},
      {"open_nofollow_symlink", {"open 0 link rdonly,nofollow"}},
      {"open_missing", {"open 0 nope rdonly"}},
      {"open_append_writes_at_end", {"open 0 shared wronly,append", "write 0 +tail", "write 0 +more", "close 0", "open 1 shared rdonly", "read 1 100", "close 1"}},
      {"open_trunc_nobody_file", {"open 0 nobody_file wronly,trunc", "close 0", "stat nobody_file"}},
      Group("write_read"),
      {"write_extend", {"open 0 shared wronly", "pwrite 0 100 far", "fstat 0", "close 0", "open 1 shared rdonly", "pread 1 0 200", "close 1"}},
      {"write_sparse_far", {"open 0 sparse wronly,creat 0644", "pwrite 0 10485760 end", "fstat 0", "close 0", "stat sparse"}},
      {"write_beyond_4g", {"open 0 huge wronly,creat 0644", "pwrite 0 5368709120 beyond", "fstat 0", "pread 0 5368709118 10", "close 0"}},
      {"write_big_pattern", {"open 0 bigw wronly,creat 0644", "write 0 pat:1000000", "close 0", "open 1 bigw rdonly", "read 1 1000000", "close 1"}},
      {"write_overwrite_middle", {"open 0 big rdwr", "pwrite 0 70000 XXXXXXXX", "pread 0 69996 16", "close 0"}},
      {"write_to_rdonly_fd", {"open 0 shared rdonly", "write 0 x", "close 0"}},
      {"read_from_wronly_fd", {"open 0 shared wronly", "read 0 10", "close 0"}},
      // The kernel answers a read past its cached i_size without asking
      // the server, so the server cannot update atime for it.
      {"read_past_eof", {"open 0 file rdonly", "pread 0 1000 10", "close 0"},
       {"   times file: a"}},
      {"read_dir_fd", {"open 0 dir rdonly,directory", "read 0 10", "close 0"}},
      {"write_clears_setuid", {"open 0 setuid wronly", "write 0 x", "close 0", "stat setuid"}},
      {"write_clears_setgid", {"open 0 setgid wronly", "write 0 x", "close 0", "stat setgid"}},
      Group("truncate"),
      {"truncate_down", {"truncate big 1000", "stat big", "open 0 big rdonly", "pread 0 990 20", "close 0"}},
      {"truncate_up", {"truncate shared 100000", "stat shared", "open 0 shared rdonly", "pread 0 5 20", "close 0"}},
      {"truncate_zero", {"truncate big 0", "stat big"}},
      {"truncate_negative", {"truncate shared -1"}},
      {"truncate_dir", {"truncate dir 0"}},
      {"truncate_ro_file", {"truncate ro_file 0"}},
      {"truncate_huge", {"truncate shared 17592186044416", "stat shared"}},
      {"truncate_past_max", {"truncate shared 18446744073709551"}},
      {"ftruncate_rdonly_fd", {"open 0 shared rdonly", "ftruncate 0 0", "close 0"}},
      {"ftruncate_partial_block", {"open 0 big rdwr", "ftruncate 0 4097", "ftruncate 0 8192", "pread 0 4090 20", "close 0"}},
      {"truncate_clears_setuid", {"truncate setuid 0", "stat setuid"}},
      Group("chmod_chown"),
      {"chmod_file", {"chmod shared 0600", "stat shared"}},
      {"chmod_other_owner", {"chmod file 0777", "stat file"}},
      {"chmod_own_file", {"chmod nobody_file 0600", "stat nobody_file"}},
      {"chmod_setgid_not_member", {"chmod nobody_file 02755", "stat nobody_file"}},
      {"chmod_sticky_file", {"chmod nobody_file 01644", "stat nobody_file"}},
      {"chmod_missing", {"chmod nope 0644"}},
      // Only the owner may chmod, even to the mode the file has.
      {"chmod_other_same_mode", {"chmod file 0644", "stat file"}},
      // Without default_permissions ext4fh must let anyone drop
      // setuid/setgid with a chmod: that is how the kernel asks it to
      // clear them after a write or truncate (no FUSE_HANDLE_KILLPRIV
      // in protocol 7.31), and the two requests look the same.
      {.name = "chmod_other_drops_suid_sgid",
       .steps = {"chmod suidgid 0777", "stat suidgid"},
       .kernel_only = {"#0 chmod suidgid 0777 => EPERM",
                       "#1 stat suidgid => mode=106777 nlink=1 uid=0 gid=0 size=0 blocks=0",
                       "   suidgid mode=106777 nlink=1 uid=0 gid=0 size=0 blocks=0 ''"},
       .fuse_only = {"#0 chmod suidgid 0777 => OK", "   times suidgid: c",
                     "#1 stat suidgid => mode=100777 nlink=1 uid=0 gid=0 size=0 blocks=0",
                     "   suidgid mode=100777 nlink=1 uid=0 gid=0 size=0 blocks=0 ''"},
       .differs_in = VariantBit(Variant::kNobodyServerChecks)},
      {"chmod_through_symlink", {"chmod link 0600", "stat file", "lstat link"}},
      {"fchmod_fd", {"open 0 nobody_file rdonly", "fchmod 0 0640", "fstat 0", "close 0"}},
      {"chmod_acl_mask", {"chmod acl_file 0600", "getacl acl_file", "stat acl_file"}},
      {"chown_root_only", {"chown nobody_file 0 0", "stat nobody_file"}},
      {"chown_group_change_own", {"chown nobody_file -1 65534", "stat nobody_file"}},
      {"chown_group_not_member", {"chown nobody_file -1 0", "stat nobody_file"}},
      {"chown_noop", {"chown nobody_file 65534 -1", "stat nobody_file"}},
      {"chown_clears_setuid", {"chown setuid 65534 65534", "stat setuid"}},
      {"chown_clears_setgid", {"chown setgid 0 0", "stat setgid"}},
      {"lchown_symlink", {"lchown link 65534 65534", "lstat link", "stat file"}},
      {"chown_dir", {"chown dir 65534 65534", "stat dir"}},
      Group("utimens"),
      {"utimes_now_owner", {"utimens nobody_file now now"}},
      {"utimes_now_other_writable", {"utimens shared now now"}},
      {"utimes_now_other_not_writable", {"utimens file now now"}},
      {"utimes_explicit_owner", {"utimens nobody_file 1000.5 2000.123456789", "stat nobody_file", "times nobody_file"}},
      {"utimes_explicit_other", {"utimens shared 1000.5 2000.5", "times shared"}},
      {"utimes_omit", {"utimens nobody_file omit 3000.1", "times nobody_file"}},
      {"utimes_symlink_nofollow", {"utimens link 1000.0 1000.0", "times link", "times file"}},
      // Nanoseconds, the ext4 range (256-byte inodes: 1901 to 2446,
      // clamped beyond it) and times before 1970.
      {"utimes_ns_exact", {"utimens nobody_file 1000.123456789 2000.987654321", "times nobody_file"}},
      {"utimes_ns_edges", {"utimens nobody_file 0.999999999 0.000000001", "times nobody_file"}},
      {"utimes_before_1970", {"utimens nobody_file -1.5 -1000000.999999999", "times nobody_file"}},
      {"utimes_ext4_limits", {"utimens nobody_file 15032385535.999999999 -2147483648.0", "times nobody_file"}},
      {"utimes_clamped", {"utimens nobody_file 17179869184.5 -17179869184.5", "times nobody_file"}},
      {"utimes_invalid_nsec", {"utimens nobody_file 1.1000000000 now", "times nobody_file"}},
      // UTIME_OMIT keeps the old value; UTIME_NOW sets the clock's.
      {"utimes_omit_keeps_old", {"utimens nobody_file 1000.5 2000.6", "utimens nobody_file omit 3000.7", "times nobody_file", "utimens nobody_file 4000.8 omit", "times nobody_file"}},
      {"utimes_omit_both", {"utimens nobody_file 1000.5 2000.6", "utimens nobody_file omit omit", "times nobody_file", "utimens nope omit omit"}},
      {"utimes_now_after_explicit", {"utimens nobody_file 1000.5 2000.6", "utimens nobody_file now 3000.0", "times nobody_file", "utimens nobody_file 1000.5 now", "times nobody_file"}},
      {"utimes_now_replaces_old", {"utimens old_times now now", "times old_times"}},
      // Only an owner may set one time to now and omit the other
      // (vfs_utimes: ATTR_TIMES_SET), even with write permission.
      {"utimes_now_omit_writable_other", {"utimens old_times now omit", "times old_times", "utimens old_times omit now", "times old_times"}},
      {"utimes_explicit_writable_other", {"utimens old_times 5.0 6.0", "times old_times"}},
      // What other calls do to the times.
      {"times_after_write", {"open 0 old_times wronly", "write 0 x", "close 0", "times old_times"}},
      {"times_after_truncate", {"truncate old_times 1", "times old_times"}},
      {"times_after_read", {"open 0 old_times rdonly", "read 0 3", "close 0", "times old_times"}},
      {"times_after_chmod", {"chmod old_times 0666", "times old_times"}},
      Group("symlink"),
      {"symlink_fast", {"symlink target-x sl", "readlink sl", "lstat sl"}},
      {"symlink_slow", {"symlink pat:300 sl", "readlink sl", "lstat sl"}},
      {"symlink_4095", {"symlink " + std::string(4095, 's') + " sl", "readlink sl", "lstat sl"}},
      {"symlink_4096", {"symlink " + std::string(4096, 's') + " sl"}},
      {"symlink_exists", {"symlink x file"}},
      {"symlink_in_ro_dir", {"symlink x ro_dir/sl"}},
      {"readlink_file", {"readlink file"}},
      {"readlink_missing", {"readlink nope"}},
      {"symlink_loop", {"symlink loop1 loop2", "symlink loop2 loop1", "open 0 loop1 rdonly"}},
      Group("link"),
      {"link_file", {"link file hard", "stat hard", "stat file"}},
      {"link_dir", {"link dir dirhard"}},
      {"link_exists", {"link file file2"}},
      {"link_missing_source", {"link nope hard"}},
      {"link_into_ro_dir", {"link file ro_dir/hard"}},
      {"link_symlink", {"link link hardlink", "lstat hardlink"}},
      {"link_name_256", {"link file " + std::string(256, 'l')}},
      {"link_other_user_file", {"link secret mylink"}},
      Group("rename"),
      {"rename_file", {"rename shared renamed", "ls .", "stat renamed"}},
      {"rename_over_file", {"rename file2 shared", "stat shared", "ls ."}},
      {"rename_over_empty_dir", {"mkdir a 0755", "rename a empty", "ls ."}},
      {"rename_dir_over_nonempty", {"mkdir a 0755", "rename a dir"}},
      {"rename_dir_over_file", {"rename empty file"}},
      {"rename_file_over_dir", {"rename shared empty"}},
      {"rename_dir_into_itself", {"rename dir dir/sub"}},
      {"rename_dir_into_child", {"mkdir dir/c 0755", "rename dir dir/c/d"}},
      {"rename_dir_across", {"mkdir mv 0755", "mkdir mv/sub 0755", "rename mv/sub empty/sub2", "stat mv", "stat empty", "ls empty/sub2/.."}},
      {"rename_missing", {"rename nope other"}},
      {"rename_same_name", {"rename shared shared", "stat shared"}},
      {"rename_hardlinks_same_inode", {"link shared shared2", "rename shared shared2", "ls ."}},
      {"rename_noreplace_exists", {"rename shared file2 noreplace"}},
      {"rename_noreplace_new", {"rename shared fresh noreplace", "ls ."}},
      {"rename_exchange", {"rename shared file2 exchange", "tree ."}},
      {"rename_exchange_missing", {"rename shared nope exchange"}},
      {"rename_exchange_dir_file", {"rename dir shared exchange", "tree ."}},
      {"rename_exchange_dirs_across", {"mkdir x 0755", "mkdir x/y 0755", "rename x/y empty exchange", "stat x", "tree ."}},
      {"rename_in_ro_dir", {"rename ro_dir/f ro_dir/g"}},
      {"rename_out_of_ro_dir", {"rename ro_dir/f g"}},
      {"rename_sticky_other", {"rename sticky/root_f sticky/x"}},
      {"rename_sticky_own", {"rename sticky/nobody_f sticky/x", "ls sticky"}},
      {"rename_onto_sticky_other", {"rename shared sticky/root_f"}},
      {"rename_name_256", {"rename shared " + std::string(256, 'r')}},
      {"rename_symlink", {"rename link link2", "readlink link2"}},
      {"rename_dot", {"rename dir/. x"}},
      {"rename_open_file_over", {"open 0 file2 rdonly", "rename shared file2", "fstat 0", "pread 0 0 10", "close 0"}},
      Group("mknod"),
      {"mknod_fifo", {"mknod p fifo 0644", "stat p"}},
      {"mknod_socket", {"mknod s sock 0600", "stat s"}},
      {"mknod_char", {"mknod c chr 0644 1 3", "stat c"}},
      {"mknod_block", {"mknod b blk 0644 7 0", "stat b"}},
      {"mknod_big_dev", {"mknod c chr 0644 300 70000", "stat c"}},
      {"mknod_exists", {"mknod file fifo 0644"}},
      {"mknod_in_ro_dir", {"mknod ro_dir/p fifo 0644"}},
      Group("xattrs"),
      {"xattr_set_get", {"setxattr shared user.k v1", "getxattr shared user.k", "listxattr shared"}},
      {"xattr_create_exists", {"setxattr file user.color red create"}},
      {"xattr_create_new", {"setxattr shared user.n val create", "getxattr shared user.n"}},
      {"xattr_replace_missing", {"setxattr shared user.none x replace"}},
      {"xattr_replace_exists", {"setxattr file user.color green replace", "getxattr file user.color"}},
      {"xattr_get_missing", {"getxattr file user.missing"}},
      {"xattr_remove", {"removexattr file user.color", "listxattr file"}},
      {"xattr_remove_missing", {"removexattr file user.nothing"}},
      {"xattr_trusted", {"setxattr shared trusted.t v", "getxattr shared trusted.t", "listxattr shared"}},
      {"xattr_security", {"setxattr shared security.s v", "getxattr shared security.s"}},
      {"xattr_unknown_namespace", {"setxattr shared foo.bar v"}},
      {"xattr_system_unknown", {"setxattr shared system.foo v"}},
      {"xattr_empty_value", {"setxattr shared user.e empty", "getxattr shared user.e"}},
      {"xattr_name_255", {"setxattr shared user." + std::string(250, 'n') + " v", "listxattr shared"}},
      {"xattr_name_256", {"setxattr shared user." + std::string(251, 'n') + " v"}},
      {"xattr_value_large", {"setxattr shared user.big pat:3000", "getxattr shared user.big"}},
      {"xattr_value_too_large", {"setxattr shared user.big pat:5000", "listxattr shared"}},
      {"xattr_value_64k", {"setxattr shared user.huge pat:65537"}},
      {"xattr_many", {"setxattr shared user.a1 pat:500", "setxattr shared user.a2 pat:500", "setxattr shared user.a3 pat:500", "setxattr shared user.a4 pat:500", "setxattr shared user.a5 pat:500", "setxattr shared user.a6 pat:500", "setxattr shared user.a7 pat:500", "setxattr shared user.a8 pat:500", "setxattr shared user.a9 pat:500", "listxattr shared"}},
      {"xattr_on_other_users_file", {"setxattr file user.x v"}},
      {"xattr_user_on_symlink", {"setxattr link user.x v"}},
      {"xattr_user_on_fifo", {"setxattr fifo user.x v"}},
      {"xattr_on_dir", {"setxattr dir user.d v", "getxattr dir user.d"}},
      Group("acls"),
      {"acl_set_get", {"setacl shared u::rw,u:65534:r,g::r,m::r,o::-", "getacl shared", "stat shared"}},
      {"acl_equivalent_to_mode", {"setacl shared u::rwx,g::r-x,o::r", "getacl shared", "stat shared"}},
      {"acl_invalid", {"setacl shared u::rw,o::r"}},
      {"acl_default_on_file", {"setdefacl shared u::rwx,g::rx,o::rx"}},
      {"acl_default_on_dir", {"setdefacl empty u::rwx,g::r-x,o::---", "getacl empty"}},
      {"acl_remove_default", {"setdefacl acl_dir none", "getacl acl_dir"}},
      {"acl_grants_nobody", {"open 0 acl_file rdwr", "write 0 via-acl", "close 0"}},
      {"acl_denies_group_mask", {"setacl acl_file u::rw,u:65534:rw,g::r,m::r,o::-", "open 0 acl_file wronly"}},
      {"acl_setgid_cleared", {"setacl setgid u::rwx,g::rwx,o::rx", "stat setgid"}},
      Group("fallocate"),
      {"fallocate_extend", {"open 0 fa wronly,creat 0644", "fallocate 0 0 0 100000", "fstat 0", "close 0"}},
      {"fallocate_keep_size", {"open 0 fa wronly,creat 0644", "fallocate 0 keep 0 100000", "fstat 0", "lseek 0 0 data", "close 0"}},
      {"fallocate_punch", {"open 0 big rdwr", "fallocate 0 punch,keep 8192 16384", "fstat 0", "pread 0 8190 10", "pread 0 24570 10", "lseek 0 0 hole", "close 0"}},
      {"fallocate_punch_unaligned", {"open 0 big rdwr", "fallocate 0 punch,keep 100 5000", "pread 0 95 10", "pread 0 5095 10", "fstat 0", "close 0"}},
      {"fallocate_punch_without_keep", {"open 0 big rdwr", "fallocate 0 punch 0 4096", "close 0"}},
      {"fallocate_zero_range", {"open 0 big rdwr", "fallocate 0 zero 1000 20000", "pread 0 995 10", "pread 0 20995 10", "fstat 0", "close 0"}},
      {"fallocate_zero_extend", {"open 0 big rdwr", "fallocate 0 zero 190000 20000", "fstat 0", "close 0"}},
      {"fallocate_zero_len", {"open 0 big rdwr", "fallocate 0 0 0 0", "close 0"}},
      {"fallocate_rdonly_fd", {"open 0 shared rdonly", "fallocate 0 0 0 4096", "close 0"}},
      {"fallocate_beyond_max", {"open 0 big rdwr", "fallocate 0 keep 17592186040320 8192", "close 0"}},
      Group("lseek"),
      {"seek_data_hole", {"open 0 sp rdwr,creat 0644", "pwrite 0 65536 data", "pwrite 0 262144 more", "lseek 0 0 data", "lseek 0 0 hole", "lseek 0 70000 data", "lseek 0 262144 hole", "lseek 0 300000 data", "close 0"}},
      {"seek_end", {"open 0 big rdonly", "lseek 0 0 end", "lseek 0 -10 end", "close 0"}},
      {"seek_data_empty", {"open 0 e rdwr,creat 0644", "lseek 0 0 data", "lseek 0 0 hole", "close 0"}},
      Group("copy_file_range"),
      {"copy_range", {"open 0 big rdonly", "open 1 dst wronly,creat 0644", "copy 0 1000 1 0 50000", "fstat 1", "close 1", "open 2 dst rdonly", "pread 2 0 16", "close 2", "close 0"}},
      {"copy_range_past_eof", {"open 0 shared rdonly", "open 1 dst wronly,creat 0644", "copy 0 1000 1 0 100", "close 0", "close 1"}},
      {"copy_src_not_readable", {"open 0 shared wronly", "open 1 dst wronly,creat 0644", "copy 0 0 1 0 5", "close 0", "close 1"}},
      {"copy_dst_not_writable", {"open 0 shared rdonly", "open 1 file2 rdonly", "copy 0 0 1 0 5", "close 0", "close 1"}},
      {"copy_from_dir", {"open 0 dir rdonly,directory", "open 1 dst wronly,creat 0644", "copy 0 0 1 0 5", "close 0", "close 1"}},
      {"copy_to_append", {"open 0 file rdonly", "open 1 shared wronly,append", "copy 0 0 1 0 5", "close 0", "close 1"}},
      {"copy_same_file_overlap", {"open 0 shared rdwr", "copy 0 0 0 5 6", "copy 0 5 0 0 6", "close 0"}},
      {"copy_same_file_apart", {"open 0 big rdwr", "copy 0 0 0 100000 5000", "pread 0 100000 16", "fstat 0", "close 0"}},
      {"copy_in_beyond_size", {"open 0 file rdonly", "open 1 dst wronly,creat 0644", "copy 0 100000 1 0 10", "fstat 1", "close 0", "close 1"}},
      {"copy_out_beyond_size", {"open 0 file rdonly", "open 1 dst wronly,creat 0644", "copy 0 0 1 100000 5", "fstat 1", "close 0", "close 1"}},
      {"copy_len_zero", {"open 0 file rdonly", "open 1 dst wronly,creat 0644", "copy 0 0 1 0 0", "fstat 1", "close 0", "close 1"}},
      {"copy_len_max", {"open 0 file rdonly", "open 1 dst wronly,creat 0644", "copy 0 0 1 0 max", "fstat 1", "close 0", "close 1"}},
      {"copy_past_max_file_size", {"open 0 file rdonly", "open 1 dst wronly,creat 0644", "copy 0 0 1 17592186044416 5", "copy 0 0 1 17592186040320 8192", "fstat 1", "close 0", "close 1"}},
      {"copy_across_mounts", {"open 0 file rdonly", "open 1 tmp:out wronly,creat 0644", "copy 0 0 1 0 5", "open 2 tmp:in rdwr,creat 0644", "write 2 outside", "open 3 dst wronly,creat 0644", "copy 2 0 3 0 5", "close 0", "close 1", "close 2", "close 3"}},
      Group("flags"),
      {"flags_get", {"getflags shared"}},
      {"flags_immutable", {"setflags shared i", "getflags shared", "open 0 shared wronly", "unlink shared", "chmod shared 0600", "setflags shared -", "unlink shared"}},
      {"flags_append_only", {"setflags shared a", "open 0 shared wronly", "open 1 shared wronly,append", "write 1 more", "close 1", "truncate shared 0", "unlink shared", "setflags shared -"}},
      {"flags_nodump_own", {"setflags nobody_file d", "getflags nobody_file"}},
      {"flags_on_other_users_file", {"setflags file d"}},
      {"flags_immutable_dir", {"setflags empty i", "mkdir empty/x 0755", "rmdir empty", "setflags empty -"}},
      // FITRIM: the discarded amounts differ with the layouts, so only
      // the results count; anyone but root gets EPERM.
      Group("fitrim"),
      {"fitrim_all", {"fitrim . 0 max 0"}},
      {"fitrim_range", {"fitrim . 1048576 16777216 0", "fitrim file 0 8192 4096"}},
      {"fitrim_minlen", {"fitrim . 0 max 1048576"}},
      {"fitrim_len_below_block", {"fitrim . 0 100 0", "fitrim . 0 4095 0"}},
      {"fitrim_start_beyond_fs", {"fitrim . 1099511627776 1048576 0", "fitrim . 536870912 4096 0"}},
      {"fitrim_minlen_beyond_group", {"fitrim . 0 max 1073741824"}},
      // The generation of a file both images share (made before they were
      // copied), and the 32-bit ioctl numbers, which a 64-bit process
      // gets ENOTTY for (the kernel maps them only for 32-bit processes).
      Group("ioctls"),
      {"getversion_shared_file", {"ioctl ../existing getversion", "ioctl .. getversion"}},
      {"getversion32_from_64bit", {"ioctl ../existing getversion32"}},
      {"flags32_from_64bit", {"ioctl shared getflags32", "ioctl shared setflags32", "getflags shared"}},
      Group("access"),
      {"access_checks", {"access secret r", "access ro_file w", "access exec x", "access file x", "access dir x", "access nox_dir x", "access acl_file w", "access nope r"}},
      Group("paths"),
      {"path_through_file", {"stat file/x", "open 0 file/x rdonly"}},
      {"path_search_permission", {"stat nox_dir/f", "ls nox_dir"}},
      {"path_too_long", {"stat " + std::string(5000, 'p')}},
      {"path_long_components", {"mkdir " + std::string(200, 'a') + " 0755", "mkdir " + std::string(200, 'a') + "/" + std::string(200, 'b') + " 0755", "ls " + std::string(200, 'a')}},
      {"path_component_256", {"stat " + std::string(256, 'n') + "/x", "open 0 " + std::string(256, 'n') + "/x wronly,creat 0644", "mkdir dir/" + std::string(256, 'n') + " 0755", "ls dir"}},
      DeepTreeCase(),
      Group("sequences"),
      {"many_files", {"mkdir m 0755", "open 0 m/1 wronly,creat 0644", "close 0", "open 0 m/2 wronly,creat 0644", "close 0", "open 0 m/3 wronly,creat 0644", "close 0", "rename m/1 m/4", "unlink m/2", "ls m", "rmdir m"}},
      {"fsync_calls", {"open 0 shared rdwr", "write 0 sync", "fsync 0", "fdatasync 0", "close 0"}},
      {"final_tree", {"tree ."}},
      // A non-root write, truncate, fallocate or copy into a setuid or
      // setgid file clears the bits; root's (CAP_FSETID) do not.
      Group("privileges"),
      {"write_other_clears_suid_sgid", {"open 0 suidgid wronly", "write 0 x", "close 0", "stat suidgid"}},
      {"pwrite_other_clears_suid_sgid", {"open 0 suidgid rdwr", "pwrite 0 100 x", "fstat 0", "close 0"}},
      {"write_other_suid_sgid_no_group_exec", {"open 0 suidgid_nogx wronly", "write 0 x", "close 0", "stat suidgid_nogx"}},
      {"write_other_sgid_no_group_exec", {"open 0 sgid_nogx wronly", "write 0 x", "close 0", "stat sgid_nogx"}},
      {"write_empty_keeps_suid_sgid", {"open 0 suidgid wronly", "write 0 empty", "close 0", "stat suidgid"}},
      {"truncate_other_clears_suid_sgid", {"truncate suidgid 0", "stat suidgid"}},
      {"truncate_other_suid_sgid_no_group_exec", {"truncate suidgid_nogx 0", "stat suidgid_nogx"}},
      {"truncate_other_sgid_no_group_exec", {"truncate sgid_nogx 0", "stat sgid_nogx"}},
      {"ftruncate_other_clears_suid_sgid", {"open 0 suidgid wronly", "ftruncate 0 5", "fstat 0", "close 0"}},
      {"open_trunc_other_clears_suid_sgid", {"open 0 suidgid wronly,trunc", "fstat 0", "close 0"}},
      {"fallocate_other_clears_suid_sgid", {"open 0 suidgid wronly", "fallocate 0 0 0 4096", "fstat 0", "close 0"}},
      {"copy_other_clears_suid_sgid", {"open 0 file rdonly", "open 1 suidgid wronly", "copy 0 0 1 0 5", "fstat 1", "close 1", "close 0"}},
      // fsync and fdatasync on files and directories (FSYNCDIR).
      Group("fsync"),
      {"fsyncdir", {"open 0 dir rdonly,directory", "fsync 0", "fdatasync 0", "close 0"}},
      {"fsyncdir_after_changes", {"open 0 dir/new wronly,creat 0644", "close 0", "rename dir/inner dir/moved", "open 1 dir rdonly,directory", "fsync 1", "close 1", "ls dir"}},
      {"fsyncdir_case_root", {"open 0 . rdonly,directory", "fsync 0", "fdatasync 0", "close 0"}},
      {"fsync_rdonly_fd", {"open 0 file rdonly", "fsync 0", "fdatasync 0", "close 0"}},
  };
}

}  // namespace

const std::vector<DiffCase>& DiffCases() {
  static const std::vector<DiffCase> kCases = [] {
    std::vector<DiffCase> cases;
    std::string group;
    for (DiffCase& c : MakeCases()) {
      if (c.name == nullptr) {
        group = c.group;
      } else {
        c.group = group;
        cases.push_back(std::move(c));
      }
    }
    return cases;
  }();
  return kCases;
}

}  // namespace ext4fh
