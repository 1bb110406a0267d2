#pragma once

// Runs a callable when the scope ends, unless cancelled (after absl::Cleanup).

#include <utility>

namespace ext4fh {

template <typename F>
class [[nodiscard]] Cleanup {
 public:
  explicit Cleanup(F f) : f_(std::move(f)) {}
  Cleanup(const Cleanup&) = delete;
  Cleanup& operator=(const Cleanup&) = delete;
  ~Cleanup() {
    if (armed_) {
      f_();
    }
  }
  // The callable will not run.
  void Cancel() { armed_ = false; }

 private:
  F f_;
  bool armed_ = true;
};

}  // namespace ext4fh
