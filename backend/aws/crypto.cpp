#include "backend/aws/crypto.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>

namespace mgate::backend::aws {

std::string hex_encode(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (const char c : bytes) {
    const auto b = static_cast<unsigned char>(c);
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 0x0f]);
  }
  return out;
}

std::string hex_sha256(std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
  unsigned int len = 0;
  // EVP_Digest only fails on allocation failure; an empty digest then makes every
  // signature mismatch, which the server reports, rather than signing garbage.
  if (EVP_Digest(data.data(), data.size(), md.data(), &len, EVP_sha256(), nullptr) != 1) {
    return {};
  }
  return hex_encode(std::string_view(reinterpret_cast<const char*>(md.data()), len));
}

std::string hmac_sha256(std::string_view key, std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
  unsigned int len = 0;
  // The one-shot HMAC() is not deprecated in OpenSSL 3 (only HMAC_CTX is).
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(data.data()), data.size(), md.data(), &len) == nullptr) {
    return {};
  }
  return std::string(reinterpret_cast<const char*>(md.data()), len);
}

}  // namespace mgate::backend::aws
