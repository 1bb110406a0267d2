#include "fuse/request_info.h"

namespace ext4fh {
namespace {
thread_local RequestInfo tls_request;
}  // namespace

const RequestInfo& CurrentRequest() {
  return tls_request;
}

RequestInfo& MutableCurrentRequest() {
  return tls_request;
}

ScopedRequest::ScopedRequest(const RequestInfo& info) : saved_(tls_request) {
  tls_request = info;
}

ScopedRequest::~ScopedRequest() {
  tls_request = saved_;
}

}  // namespace ext4fh
