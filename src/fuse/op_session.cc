// INIT and DESTROY.
//
// What we ask of the kernel, and why:
//   EXPORT_SUPPORT   "." and ".." lookups for NFS reconnection (DESIGN s7)
//   POSIX_ACL        with default_permissions, the kernel enforces ACLs
//   DONT_MASK        the server applies the umask, or instead the parent's
//                    default ACL (posix_acl_create)
//   ASYNC_READ, AUTO_INVAL_DATA, READDIRPLUS(_AUTO), ATOMIC_O_TRUNC,
//   IOCTL_DIR        libfuse defaults, kept
// Never FUSE_REQUEST_TIMEOUT (libfuse 3.14 cannot ask for it anyway): the
// kernel would abort the connection while no server runs.
// A resumed server must get the same answer as the first one, so it asks
// for exactly the recorded capabilities (session.cc compares the replies).

#include "fuse/op_handlers.h"

#include <linux/fuse.h>

#include "fuse/request_info.h"
#include "fuse/server.h"
#include "util/log.h"

namespace ext4fh {
namespace {

constexpr unsigned kMaxWrite = 1 << 20;

void WantIfCapable(fuse_conn_info* conn, unsigned cap) {
  if (conn->capable & cap) {
    conn->want |= cap;
  }
}

}  // namespace

void Server::Negotiate(fuse_conn_info* conn) {
  conn->max_write = kMaxWrite;
  conn->time_gran = 1;
  if (resume_want_) {
    conn->want = static_cast<unsigned>(*resume_want_);
  } else {
    WantIfCapable(conn, FUSE_CAP_EXPORT_SUPPORT);
    WantIfCapable(conn, FUSE_CAP_DONT_MASK);
    if (config_.default_permissions) {
      WantIfCapable(conn, FUSE_CAP_POSIX_ACL);
    } else {
      // READDIRPLUS would fill the kernel's dentry cache, and without
      // default_permissions cached lookups skip the search-permission
      // checks the server makes in LOOKUP.
      conn->want &= ~(FUSE_CAP_READDIRPLUS | FUSE_CAP_READDIRPLUS_AUTO);
    }
  }
  negotiated_want_ = conn->want;
}

void Init(void* userdata, fuse_conn_info* conn) {
  static_cast<Server*>(userdata)->Negotiate(conn);
}

// The kernel sends DESTROY only to fuseblk connections, at unmount, and
// umount waits for the answer (fuse/mount.h): the image is flushed and
// marked clean before it. libfuse also calls this when a session ends
// without one (a planned hand-over): then the image must stay as it is
// for the next server.
void Destroy(void* userdata) {
  if (CurrentRequest().opcode == FUSE_DESTROY) {
    static_cast<Server*>(userdata)->OnDestroy();
  }
}

}  // namespace ext4fh
