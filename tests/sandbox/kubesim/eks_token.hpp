#pragma once
// EKS bearer tokens ("k8s-aws-v1." + base64url of a pre-signed STS GetCallerIdentity URL),
// verified the way aws-iam-authenticator's server does (pkg/token/token.go Verify): the URL is
// checked for shape, then replayed against STS (moto in the sandbox), whose answer names the
// caller. Messages carry aws-iam-authenticator's wording where it has one.

#include <chrono>
#include <map>
#include <string>

namespace mgate::kubesim {

/// Where and how to verify.
struct EksCheck {
  std::string sts_endpoint;           ///< "http://127.0.0.1:PORT": the STS the query is replayed to
  std::string cluster_name;           ///< sent as x-k8s-aws-id (the token must have signed that header)
  std::chrono::seconds max_age{900};  ///< a token is valid this long after its X-Amz-Date
  /// moto's server picks the service from the Authorization header's credential scope; a
  /// pre-signed GET has none, so moto would answer as S3. When set, the query's X-Amz-Credential,
  /// SignedHeaders and Signature are restated as an Authorization header so moto routes the
  /// request to STS and answers for that access key. (Real STS would refuse two signatures.)
  bool moto_routing_header = true;
  /// Access key id → secret access key. When not empty, the URL's SigV4 signature is checked
  /// here first, as real STS checks it (moto checks none): an unknown key is refused as
  /// InvalidClientTokenId, a wrong signature (another cluster's x-k8s-aws-id) as
  /// SignatureDoesNotMatch.
  std::map<std::string, std::string> secret_keys = {};
};

/// The caller STS reported.
struct EksIdentity {
  std::string arn;      ///< "arn:aws:iam::123456789012:user/alice"
  std::string account;  ///< "123456789012"
  std::string user_id;  ///< STS UserId as answered ("AIDA..." or "AROA...:session")
};

/// Verifies token at time now and asks STS whose it is. Throws std::runtime_error on refusal:
/// "input token was not properly formatted: <why>" for a token that fails a check, and
/// "sts getCallerIdentity failed: <why>" when STS is unreachable, refuses (naming the status and
/// STS's error code) or answers something unreadable.
EksIdentity verify_eks_token(const std::string& token, const EksCheck& check,
                             std::chrono::system_clock::time_point now);

/// Reads a GetCallerIdentity answer: STS's XML (<GetCallerIdentityResponse>
/// <GetCallerIdentityResult><Arn>...) or its JSON form. Throws std::runtime_error
/// ("sts getCallerIdentity failed: ...") when it has no Arn or a malformed UserId.
EksIdentity parse_caller_identity(const std::string& body);

}  // namespace mgate::kubesim
