#include "util/log.h"

#include <syslog.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace ext4fh {
namespace {

struct LogConfig {
  std::string role = "ext4fh";
  LogLevel min_level = LogLevel::kInfo;
  bool use_syslog = false;
};

LogConfig& Config() {
  static LogConfig config;
  return config;
}

const char* LevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarning:
      return "warning";
    case LogLevel::kError:
      return "error";
  }
  return "?";
}

int SyslogPriority(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return LOG_DEBUG;
    case LogLevel::kInfo:
      return LOG_INFO;
    case LogLevel::kWarning:
      return LOG_WARNING;
    case LogLevel::kError:
      return LOG_ERR;
  }
  return LOG_INFO;
}

}  // namespace

void InitLogging(std::string role, LogLevel min_level, bool use_syslog) {
  Config().role = std::move(role);
  Config().min_level = min_level;
  Config().use_syslog = use_syslog;
  if (use_syslog) {
    openlog("ext4fh", LOG_PID, LOG_DAEMON);
  }
}

void SetLogRole(std::string role) {
  Config().role = std::move(role);
}

void SetLogSink(bool use_syslog) {
  if (use_syslog && !Config().use_syslog) {
    openlog("ext4fh", LOG_PID, LOG_DAEMON);
  }
  Config().use_syslog = use_syslog;
}

bool LogEnabled(LogLevel level) {
  return level >= Config().min_level;
}

LogMessage::LogMessage(LogLevel level, bool with_errno)
    : level_(level), saved_errno_(errno), with_errno_(with_errno) {}

LogMessage::~LogMessage() {
  if (with_errno_) {
    stream_ << ": " << std::strerror(saved_errno_);
  }
  const LogConfig& config = Config();
  std::string text = stream_.str();
  if (config.use_syslog) {
    syslog(SyslogPriority(level_), "%s: %s", config.role.c_str(),
           text.c_str());
  } else {
    std::string line = "ext4fh " + config.role + "[" +
                       std::to_string(getpid()) + "] " + LevelName(level_) +
                       ": " + text + "\n";
    // One write per line keeps lines from processes sharing stderr whole.
    (void)!write(STDERR_FILENO, line.data(), line.size());
  }
  errno = saved_errno_;
}

}  // namespace ext4fh
