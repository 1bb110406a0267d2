#pragma once

// The op adapters, named after the FUSE ops. Each one decodes, calls the
// image through the Server, and answers exactly once (reply.h). Internal to
// the fuse layer: only ops.cc puts them in the table.

#define FUSE_USE_VERSION 34
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

// op_xattr.cc
void GetXattr(fuse_req_t req, fuse_ino_t ino, const char* name, size_t size);
void ListXattr(fuse_req_t req, fuse_ino_t ino, size_t size);

}  // namespace ext4fh
