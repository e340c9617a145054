#include "backend/core/base64.hpp"

namespace mgate::backend {
namespace {

constexpr std::string_view kStandardAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr std::string_view kUrlAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int base64_digit(char c, Base64Alphabet alphabet) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  const bool url = alphabet == Base64Alphabet::kUrl;
  if (c == (url ? '-' : '+')) return 62;
  if (c == (url ? '_' : '/')) return 63;
  return -1;
}

}  // namespace

std::string base64_encode(std::string_view bytes, Base64Alphabet alphabet, bool pad) {
  const std::string_view digits = alphabet == Base64Alphabet::kUrl ? kUrlAlphabet : kStandardAlphabet;
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  unsigned buffer = 0;
  int bits = 0;
  for (const unsigned char c : bytes) {
    buffer = ((buffer << 8) | c) & 0xFFFFU;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out += digits[(buffer >> bits) & 0x3FU];
    }
  }
  if (bits > 0) out += digits[(buffer << (6 - bits)) & 0x3FU];
  if (pad) {
    while (out.size() % 4 != 0) out += '=';
  }
  return out;
}

std::optional<std::string> base64_decode(std::string_view text, Base64Alphabet alphabet) {
  std::string out;
  unsigned buffer = 0;
  int bits = 0;
  std::size_t data = 0;
  bool padding = false;
  for (const char c : text) {
    if (c == ' ' || c == '\n' || c == '\r' || c == '\t') continue;
    if (c == '=') {
      padding = true;
      continue;
    }
    if (padding) return std::nullopt;  // data after padding
    const int v = base64_digit(c, alphabet);
    if (v < 0) return std::nullopt;
    ++data;
    buffer = ((buffer << 6) | static_cast<unsigned>(v)) & 0xFFFFU;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buffer >> bits) & 0xFFU));
    }
  }
  if (data % 4 == 1) return std::nullopt;  // six bits cannot end a byte
  return out;
}

}  // namespace mgate::backend
