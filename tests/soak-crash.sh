#!/usr/bin/env bash
# soak-crash.sh [KILLS] [BUILD_DIR]
#
# The long form of crash_test's "SIGKILL under load" (issue 4, test a): the
# same workers (creates, writes with fsync, renames, unlinks, fds held open
# across restarts) while the server is killed KILLS times (default 1000) at
# random moments, with the shipped e2fsck hook after every kill. Nothing
# may fail with ENOTCONN or otherwise, every fsync'd byte must read back,
# and e2fsck -fn must be clean at the end. Takes about 5 minutes per 1000
# kills. Run as root after building.
set -euo pipefail
kills=${1:-1000}
build=${2:-"$(cd "$(dirname "$0")/.." && pwd)/build"}
CRASH_KILLS=$kills exec "$build/tests/integration/crash_test" \
	--gtest_filter='CrashTest.SigkillUnderLoadLosesNothingFsyncedAndNeverFails'
