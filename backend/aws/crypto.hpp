#pragma once
// The two primitives SigV4 is built from, on OpenSSL 3.

#include <string>
#include <string_view>

namespace mgate::backend::aws {

/// Lower-case hex of the SHA-256 of `data` (64 characters).
std::string hex_sha256(std::string_view data);

/// Raw 32-byte HMAC-SHA256 of `data` under `key`.
std::string hmac_sha256(std::string_view key, std::string_view data);

/// Lower-case hex of arbitrary bytes.
std::string hex_encode(std::string_view bytes);

}  // namespace mgate::backend::aws
