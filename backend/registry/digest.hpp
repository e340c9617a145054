#pragma once
// Content digests as the OCI distribution API names them ("sha256:<64 hex>").

#include <string>
#include <string_view>

namespace mgate::backend::registry {

/// The algorithm prefix every digest this client computes carries.
inline constexpr std::string_view kSha256Prefix = "sha256:";

/// "sha256:" plus the lower-case hex SHA-256 of bytes, exactly as a registry computes
/// Docker-Content-Digest over the bytes it serves.
std::string sha256_digest(std::string_view bytes);

/// True when digest is "sha256:" followed by 64 lower-case hex digits.
bool is_sha256_digest(std::string_view digest);

/// True when reference names a digest ("algorithm:hex") rather than a tag (tags cannot hold ':').
bool is_digest_reference(std::string_view reference);

}  // namespace mgate::backend::registry
