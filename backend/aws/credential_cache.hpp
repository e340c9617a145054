#pragma once
// Credentials held between calls and refreshed before they expire.

#include <chrono>
#include <functional>
#include <mutex>
#include <optional>

#include "backend/aws/credential_chain.hpp"
#include "backend/core/error.hpp"
#include "backend/core/time.hpp"

namespace mgate::backend::aws {

/// How long before `expiration` the cache fetches new credentials: botocore refreshes
/// temporary credentials in the same window, so a request signed now is not rejected mid-flight.
inline constexpr std::chrono::minutes kDefaultRefreshWindow{5};

/// Holds one set of resolved credentials; thread-safe. Long-term keys (no expiration) are
/// resolved once; temporary ones again when within the refresh window of their expiration.
class CredentialCache {
 public:
  /// Produces fresh credentials, e.g. a call of resolve_credentials.
  using Resolver = std::function<Result<ResolvedCredentials>()>;
  /// The current time; injectable so tests need not wait.
  using Now = std::function<Clock::time_point()>;

  /// A cache over `resolve`; `now` defaults to the system clock.
  explicit CredentialCache(Resolver resolve, std::chrono::seconds refresh_window = kDefaultRefreshWindow,
                           Now now = {});

  /// The held credentials, resolved first when there are none or they are close to expiring.
  /// When a refresh fails but the held credentials have not expired yet they are returned,
  /// since they still work; otherwise the resolver's error.
  Result<ResolvedCredentials> get();

  /// Drops the held credentials, e.g. after the service rejected them.
  void invalidate();

 private:
  bool needs_refresh(Clock::time_point now) const;

  Resolver resolve_;
  std::chrono::seconds refresh_window_;
  Now now_;
  std::mutex mutex_;  // held across a refresh, so concurrent callers run the resolver once
  std::optional<ResolvedCredentials> held_;
};

}  // namespace mgate::backend::aws
