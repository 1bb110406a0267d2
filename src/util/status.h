#pragma once

// Value-type errors for per-request paths (after leveldb's Status).
//
// A Status carries a positive errno, the original libext2fs errcode_t when
// there was one, and a short context string for logs. Per-request code
// returns Status or Result<T> and never throws.

#include <cerrno>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace ext4fh {

class Status {
 public:
  // An OK status.
  Status() = default;

  // A failure with positive errno `err` (REQUIRES: err > 0), the libext2fs
  // error code it came from (0 if none) and a context for logs.
  static Status Error(int err, std::string context = {}, long errcode = 0) {
    return Status(err, errcode, std::move(context));
  }

  bool ok() const { return err_ == 0; }
  // The positive errno; 0 when ok().
  int err() const { return err_; }
  // The libext2fs errcode_t this failure was translated from, or 0.
  long errcode() const { return errcode_; }
  const std::string& context() const { return context_; }
  // "context: strerror(err)" for logs.
  std::string ToString() const;

 private:
  Status(int err, long errcode, std::string context)
      : err_(err), errcode_(errcode), context_(std::move(context)) {}

  int err_ = 0;
  long errcode_ = 0;
  std::string context_;
};

inline Status OkStatus() {
  return Status();
}

// Either a T or a failed Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}
  // REQUIRES: !status.ok().
  Result(Status status) : v_(std::move(status)) {}

  bool ok() const { return v_.index() == 0; }
  // The failure; an OK Status when ok().
  Status status() const { return ok() ? Status() : std::get<1>(v_); }
  int err() const { return ok() ? 0 : std::get<1>(v_).err(); }

  // REQUIRES: ok().
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  // The value, or `fallback` when failed.
  T value_or(T fallback) const { return ok() ? value() : fallback; }

 private:
  std::variant<T, Status> v_;
};

}  // namespace ext4fh

// Returns early from the enclosing function when `expr` (a Status) failed.
#define RETURN_IF_ERROR(expr)        \
  do {                               \
    ::ext4fh::Status _st = (expr);   \
    if (!_st.ok()) {                 \
      return _st;                    \
    }                                \
  } while (0)

#define EXT4FH_CONCAT_INNER(a, b) a##b
#define EXT4FH_CONCAT(a, b) EXT4FH_CONCAT_INNER(a, b)

// Declares `lhs` from the value of `rexpr` (a Result<T>), or returns its
// Status from the enclosing function.
#define ASSIGN_OR_RETURN(lhs, rexpr) \
  ASSIGN_OR_RETURN_IMPL(EXT4FH_CONCAT(_res_, __LINE__), lhs, rexpr)
#define ASSIGN_OR_RETURN_IMPL(tmp, lhs, rexpr) \
  auto tmp = (rexpr);                          \
  if (!tmp.ok()) {                             \
    return tmp.status();                       \
  }                                            \
  lhs = std::move(tmp).value()
