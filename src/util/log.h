#pragma once

// Stream logging: LOG(INFO) << "..."; PLOG(ERROR) << "..." appends errno.
//
// The level is checked before the message is built, so disabled levels cost
// one comparison. Messages go to stderr (foreground) or syslog (background),
// one line each, prefixed with the process role ("keeper", "server").
// Message shape: "Cannot <verb> <object>: <reason>".

#include <sstream>
#include <string>

namespace ext4fh {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3 };

// Process-wide logging setup. Call once at start, before threads exist.
void InitLogging(std::string role, LogLevel min_level, bool use_syslog);
// Changes the process role prefix (e.g. after fork).
void SetLogRole(std::string role);
// Switches between stderr and syslog (after going to the background).
void SetLogSink(bool use_syslog);
bool LogEnabled(LogLevel level);

// One log line; emitted by the destructor.
class LogMessage {
 public:
  LogMessage(LogLevel level, bool with_errno);
  ~LogMessage();
  std::ostream& stream() { return stream_; }

 private:
  LogLevel level_;
  int saved_errno_;
  bool with_errno_;
  std::ostringstream stream_;
};

}  // namespace ext4fh

#define EXT4FH_LOG_LEVEL_DEBUG ::ext4fh::LogLevel::kDebug
#define EXT4FH_LOG_LEVEL_INFO ::ext4fh::LogLevel::kInfo
#define EXT4FH_LOG_LEVEL_WARNING ::ext4fh::LogLevel::kWarning
#define EXT4FH_LOG_LEVEL_ERROR ::ext4fh::LogLevel::kError

#define EXT4FH_LOG_IMPL(level, with_errno) \
  !::ext4fh::LogEnabled(level)             \
      ? (void)0                            \
      : ::ext4fh::LogVoidify() &           \
            ::ext4fh::LogMessage(level, with_errno).stream()

#define LOG(severity) EXT4FH_LOG_IMPL(EXT4FH_LOG_LEVEL_##severity, false)
#define PLOG(severity) EXT4FH_LOG_IMPL(EXT4FH_LOG_LEVEL_##severity, true)

namespace ext4fh {
// Lets the LOG macro be an expression of type void.
struct LogVoidify {
  void operator&(std::ostream&) {}
};
}  // namespace ext4fh
