#pragma once
// Base64 (RFC 4648): the standard alphabet (kubeconfig `*-data`, Docker `auth`, HTTP Basic) and
// the URL-safe one (EKS tokens), one implementation for the backend.

#include <optional>
#include <string>
#include <string_view>

namespace mgate::backend {

/// Which alphabet: `+/` (§4) or `-_` (§5).
enum class Base64Alphabet { kStandard, kUrl };

/// Encodes bytes; `pad` appends '=' to a multiple of four characters (the aws CLI's EKS tokens
/// drop it).
std::string base64_encode(std::string_view bytes, Base64Alphabet alphabet = Base64Alphabet::kStandard,
                          bool pad = true);

/// Decodes text with or without padding; ASCII white space is skipped (as Go's decoder skips
/// line breaks in kubeconfig data). Nothing for a character outside the alphabet, data after
/// '=', or a lone final character (which cannot end a byte).
std::optional<std::string> base64_decode(std::string_view text, Base64Alphabet alphabet = Base64Alphabet::kStandard);

}  // namespace mgate::backend
