#include "fuse/ops.h"

#include "fuse/op_handlers.h"

namespace ext4fh {

fuse_lowlevel_ops MakeOps() {
  fuse_lowlevel_ops ops{};
  ops.init = Init;
  ops.destroy = Destroy;
  ops.lookup = Lookup;
  ops.forget = Forget;
  ops.forget_multi = ForgetMulti;
  ops.getattr = GetAttr;
  ops.access = Access;
  ops.statfs = StatFs;
  ops.readlink = ReadLink;
  ops.open = Open;
  ops.read = Read;
  ops.release = Release;
  ops.opendir = OpenDir;
  ops.readdir = ReadDir;
  ops.readdirplus = ReadDirPlus;
  ops.releasedir = ReleaseDir;
  ops.getxattr = GetXattr;
  ops.listxattr = ListXattr;
  ops.setxattr = SetXattr;
  ops.removexattr = RemoveXattr;
  ops.mknod = MkNod;
  ops.mkdir = MkDir;
  ops.symlink = Symlink;
  ops.link = Link;
  ops.create = Create;
  ops.unlink = Unlink;
  ops.rmdir = RmDir;
  ops.rename = Rename;
  ops.setattr = SetAttr;
  ops.write = Write;
  ops.flush = Flush;
  ops.fsync = Fsync;
  ops.fsyncdir = Fsync;
  ops.fallocate = Fallocate;
  ops.lseek = Lseek;
  ops.copy_file_range = CopyFileRange;
  ops.ioctl = Ioctl;
  ops.bmap = Bmap;
  return ops;
}

}  // namespace ext4fh
