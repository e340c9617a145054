#include "backend/registry/digest.hpp"

#include <openssl/evp.h>

namespace mgate::backend::registry {

std::string sha256_digest(std::string_view bytes) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(bytes.data(), bytes.size(), md, &len, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(kSha256Prefix);
  for (unsigned int i = 0; i < len; ++i) {
    out += kHex[md[i] >> 4];
    out += kHex[md[i] & 0xf];
  }
  return out;
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
