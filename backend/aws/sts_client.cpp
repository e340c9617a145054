#include "backend/aws/sts_client.hpp"

#include <fmt/format.h>

#include <fstream>
#include <sstream>

#include "backend/aws/credential_process.hpp"
#include "backend/aws/request_headers.hpp"

namespace mgate::backend::aws {
namespace {

constexpr const char* kFormContentType = "application/x-www-form-urlencoded; charset=utf-8";

/// Replaces the five predefined XML entities (and numeric ones below 128); enough for STS text.
std::string xml_unescape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '&') {
      out += text[i];
      continue;
    }
    const std::size_t end = text.find(';', i);
    if (end == std::string_view::npos) {
      out += text[i];
      continue;
    }
    const std::string_view entity = text.substr(i + 1, end - i - 1);
    char c = 0;
    if (entity == "amp")
      c = '&';
    else if (entity == "lt")
      c = '<';
    else if (entity == "gt")
      c = '>';
    else if (entity == "quot")
      c = '"';
    else if (entity == "apos")
      c = '\'';
    else if (entity.size() > 1 && entity[0] == '#') {
      const bool hex = entity[1] == 'x' || entity[1] == 'X';
      const std::string digits(entity.substr(hex ? 2 : 1));
      char* stop = nullptr;
      const long code = std::strtol(digits.c_str(), &stop, hex ? 16 : 10);
      if (stop != nullptr && *stop == '\0' && code > 0 && code < 128) c = static_cast<char>(code);
    }
    if (c == 0) {
      out += text[i];
      continue;
    }
    out += c;
    i = end;
  }
  return out;
}

/// The inner XML of the first `<tag>...</tag>`, raw.
std::optional<std::string_view> xml_block(std::string_view xml, std::string_view tag) {
  const std::string open = fmt::format("<{}>", tag);
  const std::string close = fmt::format("</{}>", tag);
  const std::size_t start = xml.find(open);
  if (start == std::string_view::npos) return std::nullopt;
  const std::size_t from = start + open.size();
  const std::size_t end = xml.find(close, from);
  if (end == std::string_view::npos) return std::nullopt;
  return xml.substr(from, end - from);
}

/// The text of the first `<tag>...</tag>` in xml, unescaped; nothing when absent.
/// STS answers are flat and attribute-free below the root, so no XML parser is needed.
std::optional<std::string> xml_text(std::string_view xml, std::string_view tag) {
  const auto inner = xml_block(xml, tag);
  if (!inner) return std::nullopt;
  return xml_unescape(*inner);
}

ErrorCode code_for(std::string_view code, long status) {
  if (code == "AccessDenied" || code == "AccessDeniedException") return ErrorCode::kPermissionDenied;
  if (code == "InvalidClientTokenId" || code == "SignatureDoesNotMatch" || code == "ExpiredToken" ||
      code == "ExpiredTokenException" || code == "InvalidIdentityToken" || code == "IDPRejectedClaim" ||
      code == "MissingAuthenticationToken" || code == "IncompleteSignature") {
    return ErrorCode::kUnauthenticated;
  }
  if (code == "Throttling" || code == "ThrottlingException" || code == "IDPCommunicationError" ||
      status >= 500) {
    return ErrorCode::kUnavailable;
  }
  return ErrorCode::kInvalidArgument;
}

}  // namespace

std::string form_encode(const std::vector<std::pair<std::string, std::string>>& fields) {
  const auto encode = [](std::string_view s) {
    std::string out;
    for (const unsigned char c : s) {
      const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                              c == '-' || c == '_' || c == '.' || c == '~';
      if (unreserved) {
        out += static_cast<char>(c);
      } else {
        out += fmt::format("%{:02X}", c);
      }
    }
    return out;
  };
  std::string body;
  for (const auto& [name, value] : fields) {
    if (!body.empty()) body += '&';
    body += encode(name);
    body += '=';
    body += encode(value);
  }
  return body;
}

Result<Credentials> parse_sts_credentials(std::string_view xml, const std::string& call) {
  const auto unreadable = [&](std::string_view why) {
    return make_error(ErrorCode::kProtocol, fmt::format("{}: unreadable answer: {}", call, why));
  };
  const auto block = xml_block(xml, "Credentials");
  if (!block) return unreadable("no <Credentials> element");
  auto key = xml_text(*block, "AccessKeyId");
  auto secret = xml_text(*block, "SecretAccessKey");
  auto token = xml_text(*block, "SessionToken");
  auto expiration = xml_text(*block, "Expiration");
  if (!key || key->empty()) return unreadable("no AccessKeyId");
  if (!secret || secret->empty()) return unreadable("no SecretAccessKey");
  if (!token || token->empty()) return unreadable("no SessionToken");
  if (!expiration) return unreadable("no Expiration");
  auto when = parse_rfc3339(*expiration);
  if (!when) return unreadable(fmt::format("Expiration is not an ISO 8601 time: {}", *expiration));
  return Credentials{std::move(*key), Secret(std::move(*secret)), Secret(std::move(*token)), *when};
}

Error sts_error(const std::string& call, const http::Response& response) {
  const auto block = xml_block(response.body, "Error");
  const std::string code =
      (block ? xml_text(*block, "Code") : std::nullopt).value_or(fmt::format("HTTP {}", response.status));
  std::string message = (block ? xml_text(*block, "Message") : std::nullopt).value_or("");
  const ErrorCode error_code = code_for(code, response.status);
  const bool retryable = error_code == ErrorCode::kUnavailable;
  if (message.empty()) {
    return make_error(error_code, fmt::format("{}: {}", call, code), code, retryable);
  }
  return make_error(error_code, fmt::format("{}: {}: {}", call, code, message), code, retryable);
}

Result<Secret> read_web_identity_token(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return make_error(ErrorCode::kIo, fmt::format("cannot read the web identity token file {}", path));
  }
  std::ostringstream buffer;
  buffer << in.rdbuf();
  std::string token = buffer.str();
  while (!token.empty() &&
         (token.back() == '\n' || token.back() == '\r' || token.back() == ' ' || token.back() == '\t')) {
    token.pop_back();
  }
  if (token.empty()) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("the web identity token file {} is empty", path));
  }
  return Secret(std::move(token));
}

StsClient::StsClient(StsOptions options) : options_(std::move(options)), http_(options_.http) {}

Result<Credentials> StsClient::post(const std::string& call, const std::string& body,
                                    const Credentials* signer) {
  auto unsigned_request =
      signing_request("POST", options_.endpoint, {{"Content-Type", kFormContentType}}, body);
  if (!unsigned_request) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("{}: bad endpoint: {}", call, unsigned_request.error().message));
  }
  // STS hands out fresh credentials and changes nothing: a repeat after a lost answer is harmless.
  http::Request request{.method = "POST", .url = options_.endpoint, .body = body, .idempotent = true};
  for (const auto& [name, value] : unsigned_request->headers) request.add_header(name, value);
  if (signer != nullptr) {
    SigningParams params;
    params.region = options_.region;
    params.service = "sts";
    params.when = options_.now ? options_.now() : Clock::now();
    auto signed_headers = sign(*unsigned_request, *signer, params);
    if (!signed_headers) {
      return make_error(signed_headers.error().code,
                        fmt::format("{}: signing: {}", call, signed_headers.error().message));
    }
    add_signed_headers(request, signed_headers->headers);
  }
  auto response = http_.send(request);
  if (!response) {
    const Error& e = response.error();
    return make_error(e.code, fmt::format("{}: {}", call, e.message), e.detail, e.retryable);
  }
  if (!response->ok()) return sts_error(call, *response);
  return parse_sts_credentials(response->body, call);
}

Result<Credentials> StsClient::assume_role(const AssumeRoleRequest& request, const Credentials& source) {
  const std::string call = fmt::format("STS AssumeRole {}", request.role_arn);
  if (request.serial_number) {
    return make_error(ErrorCode::kUnavailable,
                      fmt::format("{}: the role requires MFA (device {}); MFA prompts are not supported",
                                  call, *request.serial_number));
  }
  std::vector<std::pair<std::string, std::string>> fields{{"Action", "AssumeRole"},
                                                          {"Version", kStsVersion},
                                                          {"RoleArn", request.role_arn},
                                                          {"RoleSessionName", request.role_session_name}};
  if (request.external_id) fields.emplace_back("ExternalId", *request.external_id);
  if (request.duration_seconds)
    fields.emplace_back("DurationSeconds", std::to_string(*request.duration_seconds));
  return post(call, form_encode(fields), &source);
}

Result<Credentials> StsClient::assume_role_with_web_identity(const WebIdentityRequest& request) {
  const std::string call = fmt::format("STS AssumeRoleWithWebIdentity {}", request.role_arn);
  std::vector<std::pair<std::string, std::string>> fields{
      {"Action", "AssumeRoleWithWebIdentity"},
      {"Version", kStsVersion},
      {"RoleArn", request.role_arn},
      {"RoleSessionName", request.role_session_name},
      {"WebIdentityToken", request.web_identity_token.reveal()}};
  if (request.duration_seconds)
    fields.emplace_back("DurationSeconds", std::to_string(*request.duration_seconds));
  return post(call, form_encode(fields), nullptr);
}

}  // namespace mgate::backend::aws
