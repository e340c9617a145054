#include "backend/registry/digest.hpp"

#include "backend/aws/crypto.hpp"

namespace mgate::backend::registry {

std::string sha256_digest(std::string_view bytes) {
  return std::string(kSha256Prefix) + aws::hex_sha256(bytes);
}

bool is_sha256_digest(std::string_view digest) {
  if (digest.substr(0, kSha256Prefix.size()) != kSha256Prefix) return false;
  const std::string_view hex = digest.substr(kSha256Prefix.size());
  if (hex.size() != 64) return false;
  for (const char c : hex) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

bool is_digest_reference(std::string_view reference) {
  return reference.find(':') != std::string_view::npos;
}

}  // namespace mgate::backend::registry
