#include "tests/sandbox/kubesim/sigv4_query_check.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <algorithm>
#include <cctype>
#include <utility>
#include <vector>

#include <fmt/format.h>

namespace mgate::kubesim {

namespace {

std::string query_hex(const unsigned char* data, std::size_t n) {
  std::string out;
  for (std::size_t i = 0; i < n; ++i) out += fmt::format("{:02x}", data[i]);
  return out;
}

std::string query_sha256_hex(const std::string& text) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest);
  return query_hex(digest, sizeof digest);
}

std::string hmac(const std::string& key, const std::string& text) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(text.data()), text.size(), out, &len);
  return std::string(reinterpret_cast<char*>(out), len);
}

std::string decode(const std::string& in) {
  std::string out;
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '%' && i + 2 < in.size()) {
      out += static_cast<char>(std::stoi(in.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += in[i] == '+' ? ' ' : in[i];
    }
  }
  return out;
}

// SigV4's URI encoding: unreserved characters as they are, everything else %XX upper-case.
std::string encode(const std::string& in) {
  std::string out;
  for (unsigned char c : in) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> query_pairs(const std::string& raw) {
  std::vector<std::pair<std::string, std::string>> pairs;
  std::size_t start = 0;
  while (start < raw.size()) {
    const auto end = std::min(raw.find('&', start), raw.size());
    const std::string part = raw.substr(start, end - start);
    const auto eq = part.find('=');
    pairs.emplace_back(decode(part.substr(0, eq)),
                       eq == std::string::npos ? std::string() : decode(part.substr(eq + 1)));
    start = end + 1;
  }
  return pairs;
}

std::string value_of(const std::vector<std::pair<std::string, std::string>>& pairs,
                     const std::string& name) {
  for (const auto& [k, v] : pairs) {
    if (k == name) return v;
  }
  return {};
}

}  // namespace

std::string sigv4_query_refusal(const std::string& host, const std::string& path,
                                const std::string& raw_query,
                                const std::map<std::string, std::string>& signed_header_values,
                                const std::map<std::string, std::string>& secret_keys) {
  const auto pairs = query_pairs(raw_query);
  const std::string credential = value_of(pairs, "X-Amz-Credential");  // AKID/date/region/svc/aws4_request
  const auto slash = credential.find('/');
  const auto key = secret_keys.find(credential.substr(0, slash));
  if (slash == std::string::npos || key == secret_keys.end()) return "InvalidClientTokenId";
  const std::string scope = credential.substr(slash + 1);

  std::vector<std::pair<std::string, std::string>> canonical;
  for (const auto& [k, v] : pairs) {
    if (k != "X-Amz-Signature") canonical.emplace_back(encode(k), encode(v));
  }
  std::sort(canonical.begin(), canonical.end());
  std::string query;
  for (const auto& [k, v] : canonical) query += (query.empty() ? "" : "&") + k + "=" + v;

  const std::string signed_headers = value_of(pairs, "X-Amz-SignedHeaders");
  std::string headers;
  std::size_t start = 0;
  while (start <= signed_headers.size()) {
    const auto end = std::min(signed_headers.find(';', start), signed_headers.size());
    const std::string name = signed_headers.substr(start, end - start);
    const auto it = signed_header_values.find(name);
    headers += name + ":" + (name == "host" ? host : it == signed_header_values.end() ? "" : it->second) + "\n";
    start = end + 1;
  }
  // A GET has no body: the payload hash is that of "" (UNSIGNED-PAYLOAD is S3's alone).
  const std::string request = fmt::format("GET\n{}\n{}\n{}\n{}\n{}", path, query, headers,
                                          signed_headers, query_sha256_hex(""));
  const std::string date = value_of(pairs, "X-Amz-Date");
  const std::string to_sign =
      fmt::format("AWS4-HMAC-SHA256\n{}\n{}\n{}", date, scope, query_sha256_hex(request));
  // scope: date/region/service/aws4_request
  std::vector<std::string> parts;
  for (std::size_t s = 0; s <= scope.size();) {
    const auto e = std::min(scope.find('/', s), scope.size());
    parts.push_back(scope.substr(s, e - s));
    s = e + 1;
  }
  if (parts.size() != 4) return "SignatureDoesNotMatch";
  std::string k = hmac("AWS4" + key->second, parts[0]);
  k = hmac(k, parts[1]);
  k = hmac(k, parts[2]);
  k = hmac(k, parts[3]);
  const std::string mac = hmac(k, to_sign);
  const std::string signature =
      query_hex(reinterpret_cast<const unsigned char*>(mac.data()), mac.size());
  return signature == value_of(pairs, "X-Amz-Signature") ? "" : "SignatureDoesNotMatch";
}

}  // namespace mgate::kubesim
