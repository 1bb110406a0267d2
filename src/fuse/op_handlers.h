#pragma once

// The op adapters, named after the FUSE ops. Each one decodes, calls the
// image through the Server, and answers exactly once (reply.h). Internal to
// the fuse layer: only ops.cc puts them in the table.

#define FUSE_USE_VERSION 35
#include <fuse_lowlevel.h>

namespace ext4fh {

// op_session.cc
void Init(void* userdata, fuse_conn_info* conn);
void Destroy(void* userdata);

// op_lookup.cc
void Lookup(fuse_req_t req, fuse_ino_t parent, const char* name);
void Forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup);
void ForgetMulti(fuse_req_t req, size_t count, fuse_forget_data* forgets);

// op_attr.cc
void GetAttr(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi);
void Access(fuse_req_t req, fuse_ino_t ino, int mask);
void StatFs(fuse_req_t req, fuse_ino_t ino);

// op_file.cc
void ReadLink(fuse_req_t req, fuse_ino_t ino);
void Open(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi);
void Read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
          fuse_file_info* fi);
void Release(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi);

// op_dir.cc
void OpenDir(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi);
void ReadDir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
             fuse_file_info* fi);
void ReadDirPlus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
                 fuse_file_info* fi);
void ReleaseDir(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi);

// op_namespace.cc
void MkNod(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode,
           dev_t rdev);
void MkDir(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode);
void Symlink(fuse_req_t req, const char* target, fuse_ino_t parent,
             const char* name);
void Link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t parent, const char* name);
void Create(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode,
            fuse_file_info* fi);
void Unlink(fuse_req_t req, fuse_ino_t parent, const char* name);
void RmDir(fuse_req_t req, fuse_ino_t parent, const char* name);
void Rename(fuse_req_t req, fuse_ino_t parent, const char* name,
            fuse_ino_t newparent, const char* newname, unsigned int flags);

// op_write.cc
void SetAttr(fuse_req_t req, fuse_ino_t ino, struct stat* attr, int to_set,
             fuse_file_info* fi);
void Write(fuse_req_t req, fuse_ino_t ino, const char* buf, size_t size,
           off_t off, fuse_file_info* fi);
void Flush(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi);
void Fsync(fuse_req_t req, fuse_ino_t ino, int datasync, fuse_file_info* fi);
void Fallocate(fuse_req_t req, fuse_ino_t ino, int mode, off_t offset,
               off_t length, fuse_file_info* fi);
void Lseek(fuse_req_t req, fuse_ino_t ino, off_t off, int whence,
           fuse_file_info* fi);
void CopyFileRange(fuse_req_t req, fuse_ino_t ino_in, off_t off_in,
                   fuse_file_info* fi_in, fuse_ino_t ino_out, off_t off_out,
                   fuse_file_info* fi_out, size_t len, int flags);

// op_ioctl.cc
void Ioctl(fuse_req_t req, fuse_ino_t ino, unsigned int cmd, void* arg,
           fuse_file_info* fi, unsigned flags, const void* in_buf,
           size_t in_bufsz, size_t out_bufsz);
void Bmap(fuse_req_t req, fuse_ino_t ino, size_t blocksize, uint64_t idx);

// op_xattr.cc
void GetXattr(fuse_req_t req, fuse_ino_t ino, const char* name, size_t size);
void ListXattr(fuse_req_t req, fuse_ino_t ino, size_t size);
void SetXattr(fuse_req_t req, fuse_ino_t ino, const char* name,
              const char* value, size_t size, int flags);
void RemoveXattr(fuse_req_t req, fuse_ino_t ino, const char* name);

}  // namespace ext4fh
