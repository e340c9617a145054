// RFC 3339 time stamps both ways: what AWS expirations and image configs' `created` hold.

#include "backend/core/time.hpp"

#include <gtest/gtest.h>

namespace mgate::backend {
namespace {

TEST(ParseRfc3339, UtcFractionsAndOffsets) {
  auto z = parse_rfc3339("2026-11-21T07:00:00Z");
  ASSERT_TRUE(z.ok());
  EXPECT_EQ(format_rfc3339(*z), "2026-11-21T07:00:00.000Z");
  auto off = parse_rfc3339("2026-11-21T09:30:00.250+02:00");
  ASSERT_TRUE(off.ok());
  EXPECT_EQ(format_rfc3339(*off), "2026-11-21T07:30:00.250Z");
  EXPECT_FALSE(parse_rfc3339("2026-13-01T00:00:00Z").ok());
  EXPECT_FALSE(parse_rfc3339("2026-11-21T07:00:00").ok());
  EXPECT_FALSE(parse_rfc3339("yesterday").ok());
}

TEST(ParseRfc3339, NanosecondsAsImageConfigsWriteThem) {
  auto t = parse_rfc3339("2026-11-20T12:00:00.123456789Z");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(format_rfc3339(*t), "2026-11-20T12:00:00.123Z");
  EXPECT_EQ(std::chrono::duration_cast<std::chrono::microseconds>(t->time_since_epoch()).count() % 1000000, 123456);
}

}  // namespace
}  // namespace mgate::backend
