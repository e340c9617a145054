// CredentialCache: resolves once for long-term keys, refreshes near expiry and not before.

#include "backend/aws/credential_cache.hpp"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace mgate::backend::aws {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;

const Clock::time_point kStart = Clock::from_time_t(1800000000);

/// A resolver that counts its calls and hands out credentials expiring at a set time.
struct CountingResolver {
  int calls = 0;
  std::optional<Clock::time_point> expiration;
  bool fail = false;

  CredentialCache::Resolver fn() {
    return [this]() -> Result<ResolvedCredentials> {
      ++calls;
      if (fail) return make_error(ErrorCode::kUnauthenticated, "resolver failed");
      Credentials c{"ASIA" + std::to_string(calls), Secret("s"), Secret("t"), expiration};
      return ResolvedCredentials{std::move(c), "test"};
    };
  }
};

TEST(CredentialCache, LongTermKeysResolveOnce) {
  CountingResolver resolver;
  Clock::time_point now = kStart;
  CredentialCache cache(resolver.fn(), minutes(5), [&] { return now; });
  ASSERT_TRUE(cache.get().ok());
  now += std::chrono::hours(1000);
  auto again = cache.get();
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->credentials.access_key_id, "ASIA1");
  EXPECT_EQ(resolver.calls, 1);
  cache.invalidate();
  EXPECT_EQ(cache.get()->credentials.access_key_id, "ASIA2");
}

TEST(CredentialCache, RefreshesWithinTheWindowAndNotBefore) {
  CountingResolver resolver;
  resolver.expiration = kStart + minutes(60);
  Clock::time_point now = kStart;
  CredentialCache cache(resolver.fn(), minutes(5), [&] { return now; });
  EXPECT_EQ(cache.get()->credentials.access_key_id, "ASIA1");
  now = kStart + minutes(55) - seconds(1);  // one second before the window opens
  EXPECT_EQ(cache.get()->credentials.access_key_id, "ASIA1");
  EXPECT_EQ(resolver.calls, 1);
  now = kStart + minutes(55);  // the window opens
  EXPECT_EQ(cache.get()->credentials.access_key_id, "ASIA2");
  EXPECT_EQ(resolver.calls, 2);
}

TEST(CredentialCache, WindowIsConfigurable) {
  CountingResolver resolver;
  resolver.expiration = kStart + minutes(60);
  Clock::time_point now = kStart + minutes(45);
  CredentialCache cache(resolver.fn(), minutes(20), [&] { return now; });
  ASSERT_TRUE(cache.get().ok());
  ASSERT_TRUE(cache.get().ok());
  EXPECT_EQ(resolver.calls, 2);  // inside a 20-minute window every call refreshes
}

TEST(CredentialCache, FailedRefreshKeepsUnexpiredCredentialsOnly) {
  CountingResolver resolver;
  resolver.expiration = kStart + minutes(60);
  Clock::time_point now = kStart;
  CredentialCache cache(resolver.fn(), minutes(5), [&] { return now; });
  ASSERT_TRUE(cache.get().ok());
  resolver.fail = true;
  now = kStart + minutes(58);
  auto kept = cache.get();
  ASSERT_TRUE(kept.ok());
  EXPECT_EQ(kept->credentials.access_key_id, "ASIA1");
  now = kStart + minutes(60);
  auto expired = cache.get();
  ASSERT_FALSE(expired.ok());
  EXPECT_EQ(expired.error().message, "resolver failed");
}

TEST(CredentialCache, ConcurrentCallersResolveOnce) {
  CountingResolver resolver;
  CredentialCache cache(resolver.fn());
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) threads.emplace_back([&] { ASSERT_TRUE(cache.get().ok()); });
  for (auto& t : threads) t.join();
  EXPECT_EQ(resolver.calls, 1);
}

}  // namespace
}  // namespace mgate::backend::aws
