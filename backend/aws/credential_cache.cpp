#include "backend/aws/credential_cache.hpp"

#include <utility>

namespace mgate::backend::aws {

CredentialCache::CredentialCache(Resolver resolve, std::chrono::seconds refresh_window, Now now)
    : resolve_(std::move(resolve)),
      refresh_window_(refresh_window),
      now_(now ? std::move(now) : Now([] { return Clock::now(); })) {}

bool CredentialCache::needs_refresh(Clock::time_point now) const {
  if (!held_) return true;
  const auto& expiration = held_->credentials.expiration;
  return expiration && now >= *expiration - refresh_window_;
}

Result<ResolvedCredentials> CredentialCache::get() {
  const std::lock_guard lock(mutex_);
  const Clock::time_point now = now_();
  if (!needs_refresh(now)) return *held_;
  auto fresh = resolve_();
  if (fresh) {
    held_ = *fresh;
    return fresh;
  }
  if (held_ && held_->credentials.expiration && now < *held_->credentials.expiration) {
    return *held_;
  }
  return fresh.error();
}

void CredentialCache::invalidate() {
  const std::lock_guard lock(mutex_);
  held_.reset();
}

}  // namespace mgate::backend::aws
