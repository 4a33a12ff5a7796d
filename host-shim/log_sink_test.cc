#include "host-shim/log_sink.h"

#include "gtest/gtest.h"

namespace armorclaw::host {
namespace {

TEST(FormatPluginLogLineTest, Rfc3339UtcLevelAndMessage) {
  const absl::Time time = absl::FromUnixMillis(1'770'554'096'007);  // 2026-02-08T12:34:56.007Z
  EXPECT_EQ(FormatPluginLogLine(time, ACEB_LOG_INFO, "listening on 127.0.0.1:8444"),
            "2026-02-08T12:34:56.007Z INFO eventbus: listening on 127.0.0.1:8444");
  EXPECT_EQ(FormatPluginLogLine(time, ACEB_LOG_DEBUG, "x"),
            "2026-02-08T12:34:56.007Z DEBUG eventbus: x");
  EXPECT_EQ(FormatPluginLogLine(time, ACEB_LOG_WARN, "x"),
            "2026-02-08T12:34:56.007Z WARN eventbus: x");
  EXPECT_EQ(FormatPluginLogLine(time, ACEB_LOG_ERROR, "x"),
            "2026-02-08T12:34:56.007Z ERROR eventbus: x");
}

TEST(FormatPluginLogLineTest, KeepsOneLine) {
  EXPECT_EQ(FormatPluginLogLine(absl::UnixEpoch(), 99, "a\nb\r\n"),
            "1970-01-01T00:00:00.000Z LOG eventbus: a\\nb\\r\\n");
}

}  // namespace
}  // namespace armorclaw::host
