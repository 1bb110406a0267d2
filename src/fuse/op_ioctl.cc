// IOCTL and BMAP.
//
// The kernel hands FUSE only "restricted" ioctls: their argument size comes
// from the command number, and it copies the data both ways. The ones ext4
// users rely on:
//   FS_IOC_GETFLAGS/SETFLAGS     chattr/lsattr (the kernel's fileattr code
//                                sends them with a 4-byte argument)
//   FS_IOC_FSGETXATTR/FSSETXATTR the same flags as xflags
//   FS_IOC_GETVERSION            the inode generation (an int, as ext4
//                                writes it, though the number says long)
//   FITRIM                       discard free blocks: holes in the image
// A 64-bit process gets ENOTTY for the 32-bit numbers (FS_IOC32_*), as
// from ext4. A 32-bit process's ioctls come with FUSE_IOCTL_COMPAT, after
// the VFS has served the flag ioctls itself; of the rest, ext4 (its
// ext4_compat_ioctl) takes FS_IOC32_GETVERSION and FITRIM, and answers
// ENOTTY to the others that reach it.
// BMAP reaches a server only for fuseblk mounts (fuse_bmap needs s_bdev),
// so a plain FUSE mount answers FIBMAP with 0 in the kernel itself.

#include <linux/fs.h>
#include <sys/ioctl.h>

#include <cstring>

#include "fuse/node_claim.h"
#include "fuse/op_handlers.h"
#include "fuse/reply.h"
#include "fuse/server.h"

namespace ext4fh {
namespace {

// FS_XFLAG_* <-> ext4 inode flags, as ext4_iflags_to_xflags does.
struct XflagMap {
  uint32_t xflag;
  uint32_t iflag;
};
constexpr XflagMap kXflags[] = {
    {FS_XFLAG_SYNC, FS_SYNC_FL},          {FS_XFLAG_IMMUTABLE, FS_IMMUTABLE_FL},
    {FS_XFLAG_APPEND, FS_APPEND_FL},      {FS_XFLAG_NODUMP, FS_NODUMP_FL},
    {FS_XFLAG_NOATIME, FS_NOATIME_FL},    {FS_XFLAG_PROJINHERIT, FS_PROJINHERIT_FL},
};

uint32_t ToXflags(uint32_t iflags) {
  uint32_t x = 0;
  for (const XflagMap& m : kXflags) {
    x |= (iflags & m.iflag) ? m.xflag : 0;
  }
  return x;
}

uint32_t FromXflags(uint32_t current, uint32_t xflags) {
  for (const XflagMap& m : kXflags) {
    current = (xflags & m.xflag) ? current | m.iflag : current & ~m.iflag;
  }
  return current;
}

// The bytes of `value`, at most out_size of them (little-endian, so the
// low bytes). The kernel copies back only the bytes a reply holds, so an
// int answer to a long-sized command leaves the rest of the caller's long
// alone, as ext4's put_user of an int does.
template <typename T>
std::string Bytes(const T& value, size_t out_size) {
  std::string out(sizeof(T), '\0');
  std::memcpy(out.data(), &value, sizeof(T));
  out.resize(std::min(out_size, sizeof(T)));
  return out;
}

template <typename T>
T Read(const void* in, size_t in_size) {
  T value{};
  std::memcpy(&value, in, std::min(in_size, sizeof(T)));
  return value;
}

Result<std::string> Trim(Server& server, const fuse_ctx* ctx, const void* in,
                         size_t in_size, size_t out_size) {
  if (ctx->uid != 0) {
    return Status::Error(EPERM, "FITRIM needs root");
  }
  auto range = Read<fstrim_range>(in, in_size);
  ASSIGN_OR_RETURN(uint64_t trimmed,
                   server.image().Trim(range.start, range.len, range.minlen));
  range.len = trimmed;
  return Bytes(range, out_size);
}

Result<std::string> DoIoctl(fuse_req_t req, fuse_ino_t ino, unsigned cmd,
                            const void* in, size_t in_size, size_t out_size) {
  Server& server = ServerOf(req);
  ASSIGN_OR_RETURN(NodeClaim claim, ClaimFor(ino));
  Image& image = server.image();
  switch (cmd) {
    case FS_IOC_GETFLAGS: {
      ASSIGN_OR_RETURN(uint32_t flags, image.GetFlags(claim));
      return Bytes(flags, out_size);
    }
    case FS_IOC_SETFLAGS:
      RETURN_IF_ERROR(image.SetFlags(claim, Read<uint32_t>(in, in_size),
                                     server.CredentialsOf(req, false)));
      return std::string();
    case FS_IOC_FSGETXATTR: {
      ASSIGN_OR_RETURN(uint32_t flags, image.GetFlags(claim));
      fsxattr fa{};
      fa.fsx_xflags = ToXflags(flags);
      return Bytes(fa, out_size);
    }
    case FS_IOC_FSSETXATTR: {
      ASSIGN_OR_RETURN(uint32_t flags, image.GetFlags(claim));
      auto fa = Read<fsxattr>(in, in_size);
      RETURN_IF_ERROR(image.SetFlags(claim, FromXflags(flags, fa.fsx_xflags),
                                     server.CredentialsOf(req, false)));
      return std::string();
    }
    case FS_IOC_GETVERSION: {
      ASSIGN_OR_RETURN(Attr attr, image.GetAttr(claim));
      return Bytes(attr.generation, out_size);
    }
    case FITRIM:
      return Trim(server, fuse_req_ctx(req), in, in_size, out_size);
    default:
      return Status::Error(ENOTTY);
  }
}

// The 64-bit command a 32-bit process's `cmd` stands for; 0 for those
// ext4 refuses from 32-bit processes.
unsigned CompatCommand(unsigned cmd) {
  switch (cmd) {
    case FS_IOC32_GETVERSION:
      return FS_IOC_GETVERSION;
    case FITRIM:
      return FITRIM;
    default:
      return 0;
  }
}

}  // namespace

void Ioctl(fuse_req_t req, fuse_ino_t ino, unsigned int cmd, void*,
           fuse_file_info*, unsigned flags, const void* in_buf,
           size_t in_bufsz, size_t out_bufsz) {
  Guarded(req, "ioctl", [&](Reply& reply) {
    if (flags & FUSE_IOCTL_COMPAT) {
      cmd = CompatCommand(cmd);
      if (cmd == 0) {
        return reply.Errno(ENOTTY);
      }
    }
    Result<std::string> out = DoIoctl(req, ino, cmd, in_buf, in_bufsz, out_bufsz);
    if (out.ok() && (cmd == FS_IOC_SETFLAGS || cmd == FS_IOC_FSSETXATTR)) {
      ServerOf(req).InvalidateAttr(ino);  // ctime moved
    }
    out.ok() ? reply.Ioctl(0, *out) : reply.Error(out.status());
  });
}

void Bmap(fuse_req_t req, fuse_ino_t ino, size_t blocksize, uint64_t idx) {
  Guarded(req, "bmap", [&](Reply& reply) {
    Result<NodeClaim> claim = ClaimFor(ino);
    Image& image = ServerOf(req).image();
    if (!claim.ok()) {
      return reply.Error(claim.status());
    }
    uint64_t fs_block = image.block_size();
    Result<uint64_t> pblk = image.Bmap(*claim, idx * blocksize / fs_block);
    pblk.ok() ? reply.Bmap(*pblk * fs_block / blocksize)
              : reply.Error(pblk.status());
  });
}

}  // namespace ext4fh
