#include "tests/sandbox/kubesim/eks_token.hpp"

#include <algorithm>
#include <cctype>
#include <ctime>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <stdexcept>
#include <vector>

#include <fmt/format.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "tests/sandbox/kubesim/sigv4_query_check.hpp"

namespace mgate::kubesim {

namespace {

constexpr const char* kPrefix = "k8s-aws-v1.";
constexpr std::size_t kMaxTokenBytes = 4096;
constexpr const char* kClusterIdHeader = "x-k8s-aws-id";
constexpr const char* kDateFormat = "20060102T150405Z";  // Go's layout, quoted in messages
constexpr std::chrono::seconds kFutureSkew{60};

// The query parameters a pre-signed GetCallerIdentity URL may carry (lower-cased); anything
// else could smuggle another STS action or request shape past the checks.
const std::set<std::string> kAllowedParams = {"action",
                                              "version",
                                              "x-amz-algorithm",
                                              "x-amz-credential",
                                              "x-amz-date",
                                              "x-amz-expires",
                                              "x-amz-security-token",
                                              "x-amz-signature",
                                              "x-amz-signedheaders"};

[[noreturn]] void format_error(const std::string& why) {
  throw std::runtime_error("input token was not properly formatted: " + why);
}

[[noreturn]] void sts_error(const std::string& why) {
  throw std::runtime_error("sts getCallerIdentity failed: " + why);
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// base64url without padding, refusing what Go's base64.RawURLEncoding refuses (with its message).
std::string decode_raw_base64url(const std::string& in) {
  std::string out;
  unsigned buffer = 0;
  int bits = 0;
  for (std::size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    int v = -1;
    if (c >= 'A' && c <= 'Z') v = c - 'A';
    if (c >= 'a' && c <= 'z') v = c - 'a' + 26;
    if (c >= '0' && c <= '9') v = c - '0' + 52;
    if (c == '-') v = 62;
    if (c == '_') v = 63;
    if (v < 0) format_error(fmt::format("illegal base64 data at input byte {}", i));
    buffer = (buffer << 6) | static_cast<unsigned>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buffer >> bits) & 0xFFU);
    }
  }
  // One leftover character carries fewer than 8 bits: Go reports the byte where input ended.
  if (in.size() % 4 == 1) format_error(fmt::format("illegal base64 data at input byte {}", in.size()));
  return out;
}

struct Url {
  std::string scheme;
  std::string host;  // with the port, as Go's url.URL.Host
  std::string path;
  std::string raw_query;
};

Url parse_url(const std::string& text) {
  Url url;
  const auto colon = text.find("://");
  if (colon == std::string::npos) {
    format_error("token does not decode to a URL: missing protocol scheme");
  }
  url.scheme = lower(text.substr(0, colon));
  std::string rest = text.substr(colon + 3);
  rest = rest.substr(0, rest.find('#'));
  const auto query = rest.find('?');
  if (query != std::string::npos) {
    url.raw_query = rest.substr(query + 1);
    rest.resize(query);
  }
  const auto slash = rest.find('/');
  url.host = rest.substr(0, slash);
  url.path = slash == std::string::npos ? "" : rest.substr(slash);
  return url;
}

void check_host(const Url& url, const EksCheck& check) {
  static const std::regex kStsHost(R"(sts(\.[a-z0-9-]+)?\.amazonaws\.com(\.cn)?)");
  const Url local = parse_url(check.sts_endpoint.empty() ? "http://" : check.sts_endpoint);
  const bool is_local = !local.host.empty() && url.host == local.host;
  // The local STS stand-in speaks plain http; AWS hosts only https.
  if (url.scheme != "https" && !(is_local && url.scheme == local.scheme)) {
    format_error(fmt::format("unexpected scheme \"{}\" in pre-signed URL", url.scheme));
  }
  if (!is_local && !std::regex_match(url.host, kStsHost)) {
    format_error(fmt::format("unexpected hostname \"{}\" in pre-signed URL", url.host));
  }
  if (url.path != "/") format_error("unexpected path in pre-signed URL");
}

std::optional<std::string> percent_decode(const std::string& in) {
  std::string out;
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '+') {
      out += ' ';
    } else if (in[i] == '%') {
      if (i + 2 >= in.size() || !std::isxdigit(static_cast<unsigned char>(in[i + 1])) ||
          !std::isxdigit(static_cast<unsigned char>(in[i + 2]))) {
        return std::nullopt;
      }
      out += static_cast<char>(std::stoi(in.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += in[i];
    }
  }
  return out;
}

// The query as lower-cased name -> value, refusing names outside the allowed set and repeats.
std::map<std::string, std::string> parse_query(const std::string& raw) {
  std::map<std::string, std::string> params;
  std::map<std::string, int> counts;
  std::size_t start = 0;
  while (start <= raw.size()) {
    const auto end = std::min(raw.find('&', start), raw.size());
    const std::string pair = raw.substr(start, end - start);
    start = end + 1;
    if (pair.empty()) continue;
    const auto eq = pair.find('=');
    const auto key = percent_decode(pair.substr(0, eq));
    const auto value = percent_decode(eq == std::string::npos ? "" : pair.substr(eq + 1));
    if (!key || !value || pair.find(';') != std::string::npos) {
      format_error("malformed query parameter");
    }
    if (kAllowedParams.count(lower(*key)) == 0) {
      format_error(fmt::format("non-whitelisted query parameter \"{}\"", *key));
    }
    if (++counts[lower(*key)] > 1) {
      format_error("query parameter with multiple values not supported");
    }
    params[lower(*key)] = *value;
  }
  return params;
}

std::string get(const std::map<std::string, std::string>& params, const std::string& key) {
  const auto it = params.find(key);
  return it == params.end() ? std::string() : it->second;
}

std::optional<std::chrono::system_clock::time_point> parse_amz_date(const std::string& s) {
  static const std::regex kShape(R"(\d{8}T\d{6}Z)");
  if (!std::regex_match(s, kShape)) return std::nullopt;
  std::tm tm{};
  tm.tm_year = std::stoi(s.substr(0, 4)) - 1900;
  tm.tm_mon = std::stoi(s.substr(4, 2)) - 1;
  tm.tm_mday = std::stoi(s.substr(6, 2));
  tm.tm_hour = std::stoi(s.substr(9, 2));
  tm.tm_min = std::stoi(s.substr(11, 2));
  tm.tm_sec = std::stoi(s.substr(13, 2));
  if (tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 ||
      tm.tm_sec > 59) {
    return std::nullopt;
  }
  std::tm check = tm;
  const std::time_t t = ::timegm(&check);
  if (check.tm_mday != tm.tm_mday) return std::nullopt;  // e.g. February 30th rolled over
  return std::chrono::system_clock::from_time_t(t);
}

// Go's time.Time String() for a UTC time: "2026-11-21 09:21:52 +0000 UTC".
std::string go_time(std::chrono::system_clock::time_point t) {
  const std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  ::gmtime_r(&tt, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S +0000 UTC", &tm);
  return buf;
}

bool signed_cluster_header(const std::string& signed_headers) {
  std::size_t start = 0;
  while (start <= signed_headers.size()) {
    const auto end = std::min(signed_headers.find(';', start), signed_headers.size());
    if (lower(signed_headers.substr(start, end - start)) == kClusterIdHeader) return true;
    start = end + 1;
  }
  return false;
}

void check_params(const std::map<std::string, std::string>& params, const EksCheck& check,
                  std::chrono::system_clock::time_point now) {
  if (get(params, "action") != "GetCallerIdentity") {
    format_error("unexpected action parameter in pre-signed URL");
  }
  if (get(params, "version") != "2011-06-15") {
    format_error("unexpected version parameter in pre-signed URL");
  }
  if (!signed_cluster_header(get(params, "x-amz-signedheaders"))) {
    format_error(fmt::format("client did not sign the {} header in the pre-signed URL", kClusterIdHeader));
  }
  // As Go's strconv.Atoi: a missing or non-numeric value reports 0.
  long expires = 0;
  const std::string raw_expires = get(params, "x-amz-expires");
  const bool numeric = std::regex_match(raw_expires, std::regex(R"([+-]?\d{1,9})"));
  if (numeric) expires = std::stol(raw_expires);
  if (!numeric || expires < 0 || expires > 900) {
    format_error(fmt::format("invalid X-Amz-Expires parameter in pre-signed URL: {}", expires));
  }
  const std::string date = get(params, "x-amz-date");
  if (date.empty()) format_error("X-Amz-Date parameter must be present in pre-signed URL");
  const auto signed_at = parse_amz_date(date);
  if (!signed_at) {
    format_error(fmt::format("error parsing X-Amz-Date parameter {} into format {}", date, kDateFormat));
  }
  if (now > *signed_at + check.max_age) {
    format_error(fmt::format("X-Amz-Date parameter is expired ({} minute expiration) {}",
                             (check.max_age.count() + 30) / 60, go_time(*signed_at)));
  }
  if (*signed_at > now + kFutureSkew) {
    format_error(fmt::format("X-Amz-Date parameter is in the future: {}", go_time(*signed_at)));
  }
}

std::string xml_unescape(std::string s) {
  static const std::vector<std::pair<std::string, std::string>> kEntities = {
      {"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""}, {"&apos;", "'"}, {"&amp;", "&"}};
  for (const auto& [from, to] : kEntities) {
    for (auto pos = s.find(from); pos != std::string::npos; pos = s.find(from, pos + to.size())) {
      s.replace(pos, from.size(), to);
    }
  }
  return s;
}

// The text of the first <tag>...</tag> in xml (no nesting needed for STS answers).
std::string xml_text(const std::string& xml, const std::string& tag) {
  const std::string open = "<" + tag + ">";
  const auto start = xml.find(open);
  if (start == std::string::npos) return {};
  const auto end = xml.find("</" + tag + ">", start);
  if (end == std::string::npos) return {};
  return xml_unescape(xml.substr(start + open.size(), end - start - open.size()));
}

// "Code: Message" from an STS error answer (XML ErrorResponse or JSON Error).
std::string sts_error_code(const std::string& body) {
  std::string code = xml_text(body, "Code");
  std::string message = xml_text(body, "Message");
  const auto j = nlohmann::json::parse(body, nullptr, false);
  if (code.empty() && j.is_object() && j.contains("Error") && j["Error"].is_object()) {
    code = j["Error"].value("Code", "");
    message = j["Error"].value("Message", "");
  }
  if (code.empty()) return "Body: " + body;
  return message.empty() ? code : code + ": " + message;
}

}  // namespace

EksIdentity parse_caller_identity(const std::string& body) {
  EksIdentity id;
  const auto j = nlohmann::json::parse(body, nullptr, false);
  const auto result_ptr = nlohmann::json::json_pointer("/GetCallerIdentityResponse/GetCallerIdentityResult");
  if (j.is_object() && j.contains(result_ptr) && j[result_ptr].is_object()) {
    const auto& r = j[result_ptr];
    id = {r.value("Arn", ""), r.value("Account", ""), r.value("UserId", "")};
  } else {
    id = {xml_text(body, "Arn"), xml_text(body, "Account"), xml_text(body, "UserId")};
  }
  if (id.arn.empty()) sts_error("answer carries no Arn: " + body);
  if (std::count(id.user_id.begin(), id.user_id.end(), ':') > 1) {
    sts_error(fmt::format("malformed UserID \"{}\"", id.user_id));
  }
  return id;
}

EksIdentity verify_eks_token(const std::string& token, const EksCheck& check,
                             std::chrono::system_clock::time_point now) {
  if (token.size() > kMaxTokenBytes) format_error("token is too large");
  if (token.rfind(kPrefix, 0) != 0) {
    format_error(fmt::format("token is missing expected \"{}\" prefix", kPrefix));
  }
  const Url url = parse_url(decode_raw_base64url(token.substr(std::string(kPrefix).size())));
  check_host(url, check);
  const auto params = parse_query(url.raw_query);
  check_params(params, check, now);
  if (!check.secret_keys.empty()) {
    const std::string refusal = sigv4_query_refusal(url.host, url.path, url.raw_query,
                                                    {{kClusterIdHeader, check.cluster_name}},
                                                    check.secret_keys);
    if (!refusal.empty()) sts_error(fmt::format("error from AWS (expected 200, got 403). {}", refusal));
  }

  httplib::Client sts(check.sts_endpoint);
  sts.set_url_encode(false);  // replay the signed query byte for byte
  sts.set_connection_timeout(std::chrono::seconds(5));
  sts.set_read_timeout(std::chrono::seconds(10));
  httplib::Headers headers = {{kClusterIdHeader, check.cluster_name}, {"Accept", "application/json"}};
  if (check.moto_routing_header) {
    headers.emplace("Authorization",
                    fmt::format("AWS4-HMAC-SHA256 Credential={}, SignedHeaders={}, Signature={}",
                                get(params, "x-amz-credential"), get(params, "x-amz-signedheaders"),
                                get(params, "x-amz-signature")));
  }
  const auto res = sts.Get("/?" + url.raw_query, headers);
  if (!res) {
    sts_error(fmt::format("error during GET: {} ({})", httplib::to_string(res.error()), check.sts_endpoint));
  }
  if (res->status != 200) {
    sts_error(
        fmt::format("error from AWS (expected 200, got {}). {}", res->status, sts_error_code(res->body)));
  }
  return parse_caller_identity(res->body);
}

}  // namespace mgate::kubesim
