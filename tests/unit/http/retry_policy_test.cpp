#include "backend/http/retry_policy.hpp"

#include <gtest/gtest.h>

namespace mgate::backend::http {
namespace {

using std::chrono::milliseconds;

TEST(RetryPolicy, CeilingDoublesUpToTheCap) {
  const RetryPolicy policy{
      .max_attempts = 10, .base_delay = milliseconds(200), .max_delay = milliseconds(1000)};
  EXPECT_EQ(backoff_ceiling(policy, 1), milliseconds(200));
  EXPECT_EQ(backoff_ceiling(policy, 2), milliseconds(400));
  EXPECT_EQ(backoff_ceiling(policy, 3), milliseconds(800));
  EXPECT_EQ(backoff_ceiling(policy, 4), milliseconds(1000));
  EXPECT_EQ(backoff_ceiling(policy, 60), milliseconds(1000));
}

TEST(RetryPolicy, FullJitterScalesTheCeiling) {
  const RetryPolicy policy{};
  EXPECT_EQ(backoff_delay(policy, 2, 0.0), milliseconds(0));
  EXPECT_EQ(backoff_delay(policy, 2, 0.5), milliseconds(200));
  EXPECT_EQ(backoff_delay(policy, 2, 1.0), milliseconds(400));
  EXPECT_EQ(backoff_delay(policy, 2, 7.0), milliseconds(400));  // clamped
}

TEST(RetryPolicy, ParsesRetryAfterSecondsAndDates) {
  const auto now = std::chrono::system_clock::from_time_t(1700000000);  // 2023-11-14T22:13:20Z
  EXPECT_EQ(parse_retry_after("3", now), milliseconds(3000));
  EXPECT_EQ(parse_retry_after(" 0 ", now), milliseconds(0));
  EXPECT_EQ(parse_retry_after("Tue, 14 Nov 2023 22:13:50 GMT", now), milliseconds(30000));
  EXPECT_EQ(parse_retry_after("Tue, 14 Nov 2023 22:00:00 GMT", now), milliseconds(0));
  EXPECT_FALSE(parse_retry_after("soon", now).has_value());
  EXPECT_FALSE(parse_retry_after("", now).has_value());
  EXPECT_FALSE(parse_retry_after("-5", now).has_value());
}

TEST(RetryPolicy, RetryableStatusesAndMethods) {
  for (long status : {429L, 502L, 503L, 504L}) EXPECT_TRUE(is_retryable_status(status)) << status;
  for (long status : {200L, 400L, 401L, 404L, 409L, 500L, 501L}) {
    EXPECT_FALSE(is_retryable_status(status)) << status;
  }
  EXPECT_TRUE(is_idempotent_method("get"));
  EXPECT_FALSE(is_idempotent_method("POST"));
  EXPECT_FALSE(is_idempotent_method("PATCH"));
}

}  // namespace
}  // namespace mgate::backend::http
