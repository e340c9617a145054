#include "backend/aws/sigv4.hpp"

#include <ctime>

#include <fmt/format.h>

#include "backend/aws/crypto.hpp"
#include "backend/http/url.hpp"

namespace mgate::backend::aws {
namespace {

constexpr std::string_view kTerminator = "aws4_request";

std::string payload_hash(const SigningRequest& request, const SigningParams& params) {
  if (params.payload_hash) return *params.payload_hash;
  if (request.payload_hash) return *request.payload_hash;
  return hex_sha256(request.body);
}

// Only the access key id may name the credentials in a message: it is not a secret.
Status validate(const Credentials& credentials, const SigningParams& params) {
  if (credentials.access_key_id.empty()) {
    return make_error(ErrorCode::kUnauthenticated, "SigV4 signing needs an access key id");
  }
  if (credentials.secret_access_key.empty()) {
    return make_error(ErrorCode::kUnauthenticated,
                      fmt::format("no secret access key for access key id {}", credentials.access_key_id));
  }
  if (params.region.empty() || params.service.empty()) {
    return make_error(ErrorCode::kInvalidArgument, "SigV4 signing needs a region and a service name",
                      fmt::format("region '{}', service '{}'", params.region, params.service));
  }
  if (credentials.expiration && *credentials.expiration <= params.when) {
    return make_error(ErrorCode::kUnauthenticated,
                      fmt::format("the AWS credentials for access key id {} expired at {}",
                                  credentials.access_key_id, format_rfc3339(*credentials.expiration)));
  }
  return ok_status();
}

bool is_named(const Header& h, std::string_view lower_name) {
  return to_lower(h.first) == lower_name;
}

// Drops the headers this signer is about to set, so a re-sign never signs two values.
std::vector<Header> without(const std::vector<Header>& headers,
                            const std::vector<std::string_view>& lower_names) {
  std::vector<Header> out;
  out.reserve(headers.size());
  for (const auto& h : headers) {
    bool drop = false;
    for (const auto name : lower_names) drop = drop || is_named(h, name);
    if (!drop) out.push_back(h);
  }
  return out;
}

std::string signature_of(std::string_view sts, const Credentials& credentials, const SigningParams& params) {
  const Secret key = signing_key(credentials.secret_access_key, params);
  return hex_encode(hmac_sha256(key.reveal(), sts));
}

}  // namespace

Result<SigningRequest> signing_request(std::string method, std::string_view url, std::vector<Header> headers,
                                       std::string body) {
  auto parsed = http::parse_url(url);
  if (!parsed) return parsed.error();
  SigningRequest r;
  r.scheme = parsed->scheme;
  r.method = std::move(method);
  r.path = parsed->path;
  r.query = parsed->query;
  r.body = std::move(body);
  bool has_host = false;
  for (const auto& h : headers) has_host = has_host || is_named(h, "host");
  if (!has_host) r.headers.emplace_back("Host", parsed->host_header());
  r.headers.insert(r.headers.end(), headers.begin(), headers.end());
  return r;
}

std::string amz_date(Clock::time_point t) {
  const std::time_t tt = Clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  const std::size_t n = std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return std::string(buf, n);
}

std::string credential_scope(const SigningParams& params) {
  return fmt::format("{}/{}/{}/{}", amz_date(params.when).substr(0, 8), params.region, params.service,
                     kTerminator);
}

std::string canonical_request(const SigningRequest& request, const SigningParams& params) {
  const CanonicalHeaders headers = canonical_headers(request.headers);
  return fmt::format("{}\n{}\n{}\n{}\n{}\n{}", request.method,
                     canonical_path(request.path, params.normalize_path, params.double_url_encode_path),
                     canonical_query(request.query), headers.block, headers.signed_headers,
                     payload_hash(request, params));
}

std::string string_to_sign(std::string_view canonical_request, const SigningParams& params) {
  return fmt::format("{}\n{}\n{}\n{}", kAlgorithm, amz_date(params.when), credential_scope(params),
                     hex_sha256(canonical_request));
}

Secret signing_key(const Secret& secret_access_key, const SigningParams& params) {
  const std::string k_date =
      hmac_sha256("AWS4" + secret_access_key.reveal(), amz_date(params.when).substr(0, 8));
  const std::string k_region = hmac_sha256(k_date, params.region);
  const std::string k_service = hmac_sha256(k_region, params.service);
  return Secret(hmac_sha256(k_service, kTerminator));
}

Result<SignedRequest> sign(const SigningRequest& request, const Credentials& credentials,
                           const SigningParams& params) {
  if (Status valid = validate(credentials, params); !valid) return valid.error();
  const bool has_token = !credentials.session_token.empty();
  std::vector<std::string_view> replaced{"authorization", "x-amz-date"};
  if (has_token) replaced.push_back("x-amz-security-token");
  if (params.add_content_sha256) replaced.push_back("x-amz-content-sha256");

  SigningRequest signing = request;
  signing.headers = without(request.headers, replaced);
  std::vector<Header> added;
  if (has_token && params.sign_session_token) {
    added.emplace_back("X-Amz-Security-Token", credentials.session_token.reveal());
  }
  added.emplace_back("X-Amz-Date", amz_date(params.when));
  if (params.add_content_sha256) {
    added.emplace_back("x-amz-content-sha256", payload_hash(request, params));
  }
  signing.headers.insert(signing.headers.end(), added.begin(), added.end());

  SignedRequest out;
  out.canonical_request = canonical_request(signing, params);
  out.string_to_sign = string_to_sign(out.canonical_request, params);
  out.signature = signature_of(out.string_to_sign, credentials, params);
  out.authorization = fmt::format("{} Credential={}/{}, SignedHeaders={}, Signature={}", kAlgorithm,
                                  credentials.access_key_id, credential_scope(params),
                                  canonical_headers(signing.headers).signed_headers, out.signature);
  // An unsigned token (sign_session_token = false) still has to travel with the request:
  // some services reject a signed one (the suite's post-sts-header-after case).
  if (has_token && !params.sign_session_token) {
    out.headers.emplace_back("X-Amz-Security-Token", credentials.session_token.reveal());
  }
  out.headers.insert(out.headers.end(), added.begin(), added.end());
  out.headers.emplace_back("Authorization", out.authorization);
  return out;
}

Result<PresignedUrl> presign(const SigningRequest& request, const Credentials& credentials,
                             const SigningParams& params, std::chrono::seconds expires) {
  if (Status valid = validate(credentials, params); !valid) return valid.error();
  if (expires < std::chrono::seconds{1} || expires > kMaxPresignExpiry) {
    return make_error(ErrorCode::kInvalidArgument, "a presigned URL must expire within 1 second to 7 days",
                      fmt::format("expires {} s", expires.count()));
  }
  SigningRequest signing = request;
  signing.headers = without(request.headers, {"authorization", "x-amz-date"});
  std::string host;
  for (const auto& h : signing.headers) {
    if (is_named(h, "host")) host = h.second;
  }
  if (host.empty()) {
    return make_error(ErrorCode::kInvalidArgument, "a presigned request needs a Host header");
  }
  const std::string token =
      credentials.session_token.empty()
          ? std::string()
          : "&X-Amz-Security-Token=" + uri_encode(credentials.session_token.reveal(), false);
  // The parameter order follows the AWS CRT signer, whose URLs the suite records.
  std::string query = fmt::format(
      "{}{}X-Amz-Algorithm={}&X-Amz-Credential={}&X-Amz-Date={}&X-Amz-SignedHeaders={}"
      "&X-Amz-Expires={}",
      request.query, request.query.empty() ? "" : "&", kAlgorithm,
      uri_encode(credentials.access_key_id + "/" + credential_scope(params), false), amz_date(params.when),
      uri_encode(canonical_headers(signing.headers).signed_headers, false), expires.count());
  if (params.sign_session_token) query += token;
  signing.query = query;

  PresignedUrl out;
  out.canonical_request = canonical_request(signing, params);
  out.string_to_sign = string_to_sign(out.canonical_request, params);
  out.signature = signature_of(out.string_to_sign, credentials, params);
  if (!params.sign_session_token) query += token;
  out.target = fmt::format("{}?{}&X-Amz-Signature={}", request.path, query, out.signature);
  out.url = request.scheme + "://" + host + out.target;
  return out;
}

}  // namespace mgate::backend::aws
