#pragma once
// AWS STS over its Query protocol: a form-urlencoded POST per call, an XML answer.
// Only what the credential chain needs: AssumeRole (signed) and AssumeRoleWithWebIdentity (unsigned).

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "backend/aws/sigv4.hpp"
#include "backend/core/error.hpp"
#include "backend/core/secret.hpp"
#include "backend/core/time.hpp"
#include "backend/http/client.hpp"
#include "backend/http/response.hpp"

namespace mgate::backend::aws {

/// The STS API version every Query request names.
inline constexpr const char* kStsVersion = "2011-06-15";

/// Where STS is and how to reach it.
struct StsOptions {
  std::string endpoint;      ///< "https://sts.eu-west-1.amazonaws.com" (see resolve_endpoint)
  std::string region;        ///< the signing region; "us-east-1" for the global endpoint
  http::ClientOptions http;  ///< timeouts, TLS, retries
  /// The signing time; unset = the system clock (tests pin it).
  std::function<Clock::time_point()> now;
};

/// One AssumeRole call.
struct AssumeRoleRequest {
  std::string role_arn;                      ///< "arn:aws:iam::123456789012:role/deploy"
  std::string role_session_name;             ///< shows in CloudTrail
  std::optional<std::string> external_id;    ///< the profile's external_id
  std::optional<int> duration_seconds;       ///< 900..43200; unset = the role's default (1 h)
  std::optional<std::string> serial_number;  ///< an MFA device: refused, there is no prompt here
};

/// One AssumeRoleWithWebIdentity call.
struct WebIdentityRequest {
  std::string role_arn;                 ///< the role to assume
  std::string role_session_name;        ///< shows in CloudTrail
  Secret web_identity_token;            ///< the OIDC token (the file's content)
  std::optional<int> duration_seconds;  ///< unset = the role's default
};

/// "a=b&c=d" with names and values percent-encoded as RFC 3986 unreserved (what STS expects).
std::string form_encode(const std::vector<std::pair<std::string, std::string>>& fields);

/// Reads the Credentials block of an AssumeRole* answer. `call` names the call in errors
/// ("STS AssumeRole arn:..."), which never quote the answer (it holds the secret).
Result<Credentials> parse_sts_credentials(std::string_view xml, const std::string& call);

/// Maps an STS error answer (`<Error><Code>..</Code><Message>..</Message></Error>`) to an Error:
/// "<call>: <Code>: <Message>", detail the Code. AccessDenied is kPermissionDenied, bad or expired
/// tokens kUnauthenticated, throttling and 5xx kUnavailable (retryable), the rest kInvalidArgument.
Error sts_error(const std::string& call, const http::Response& response);

/// Reads a web identity token file (trailing white space dropped); errors name the file only.
Result<Secret> read_web_identity_token(const std::string& path);

/// An STS client. Like http::Client, one thread at a time.
class StsClient {
 public:
  /// A client; nothing is connected yet.
  explicit StsClient(StsOptions options);

  /// AssumeRole signed by `source` (SigV4, service "sts"); the answer's credentials, with expiration.
  Result<Credentials> assume_role(const AssumeRoleRequest& request, const Credentials& source);
  /// AssumeRoleWithWebIdentity, unsigned: the token is the proof.
  Result<Credentials> assume_role_with_web_identity(const WebIdentityRequest& request);

  /// The endpoint requests go to.
  const std::string& endpoint() const { return options_.endpoint; }

 private:
  Result<Credentials> post(const std::string& call, const std::string& body, const Credentials* signer);

  StsOptions options_;
  http::Client http_;
};

}  // namespace mgate::backend::aws
