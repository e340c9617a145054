#pragma once
// EKS bearer tokens, built in process the way `aws eks get-token` builds them: a presigned STS
// GetCallerIdentity URL whose signature covers the cluster name (header x-k8s-aws-id), then
// "k8s-aws-v1." + base64url of that URL. The API server's authenticator replays the URL to STS.

#include <chrono>
#include <optional>
#include <string>

#include "backend/aws/sigv4.hpp"
#include "backend/core/error.hpp"
#include "backend/core/secret.hpp"
#include "backend/core/time.hpp"

namespace mgate::backend::kube {

/// The prefix of every EKS token (aws-iam-authenticator's v1 token format).
inline constexpr const char* kEksTokenPrefix = "k8s-aws-v1.";
/// The header whose signed value binds a token to one cluster.
inline constexpr const char* kEksClusterHeader = "x-k8s-aws-id";
/// How long the presigned URL itself is valid, as the aws CLI writes it (X-Amz-Expires=60);
/// the authenticator accepts a token for 15 minutes after X-Amz-Date regardless.
inline constexpr std::chrono::seconds kEksPresignExpiry{60};
/// When the aws CLI says its token expires (expirationTimestamp = now + 14 minutes): one minute
/// before the authenticator's 15-minute limit.
inline constexpr std::chrono::minutes kEksTokenLifetime{14};

/// A token and when to ask for a new one.
struct EksToken {
  Secret token;                  ///< "k8s-aws-v1...."; a bearer credential
  Clock::time_point expiration;  ///< now + kEksTokenLifetime, truncated to whole seconds
};

/// Builds the token `aws --region <region> eks get-token --cluster-name <cluster_name>` prints
/// at time `now`: a presigned GET of `<endpoint>/?Action=GetCallerIdentity&Version=2011-06-15`
/// signing the headers host and x-k8s-aws-id, X-Amz-Expires=60, the session token signed into
/// the query when there is one, parameters in the aws CLI's order.
/// `sts_endpoint` is the STS URL to sign for ("https://sts.eu-west-1.amazonaws.com", or what
/// aws::resolve_endpoint(options, "sts", region, ...) returns for AWS_ENDPOINT_URL(_STS));
/// nothing means aws::default_endpoint("sts", region).
/// kInvalidArgument for an empty cluster name or region, or a malformed endpoint;
/// signing errors (missing keys) as aws::presign reports them. Errors never hold the token.
Result<EksToken> eks_token(const std::string& cluster_name, const aws::Credentials& credentials,
                           const std::string& region, Clock::time_point now,
                           const std::optional<std::string>& sts_endpoint = std::nullopt);

}  // namespace mgate::backend::kube
