#pragma once
// WWW-Authenticate challenges (RFC 7235) as registries send them:
// `Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:a/b:pull"`.

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mgate::backend::registry {

/// One challenge: its scheme and its auth-params.
struct Challenge {
  std::string scheme;                         ///< lower-cased ("bearer", "basic")
  std::map<std::string, std::string> params;  ///< names lower-cased, values unquoted

  /// The value of param name (lower-case), or "".
  std::string param(const std::string& name) const;
};

/// Every challenge in one WWW-Authenticate value. Quoted values may hold commas and
/// backslash escapes; a comma also separates challenges, so a token followed by a space
/// and not by '=' starts a new challenge. Unreadable trailing text is dropped.
std::vector<Challenge> parse_challenges(std::string_view header_value);

/// The first challenge of scheme (any case) among every WWW-Authenticate value.
std::optional<Challenge> find_challenge(const std::vector<std::string>& header_values,
                                        std::string_view scheme);

}  // namespace mgate::backend::registry
