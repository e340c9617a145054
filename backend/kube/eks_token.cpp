#include "backend/kube/eks_token.hpp"


#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <string_view>
#include <vector>

#include "backend/aws/endpoints.hpp"
#include "backend/core/base64.hpp"
#include "backend/core/strings.hpp"

namespace mgate::backend::kube {
namespace {

/// Where a query parameter goes in the aws CLI's URL (botocore's SigV4QueryAuth adds its
/// parameters in this order after the request's own). The canonical query is sorted, so the
/// order changes no signature; it only makes our URL byte-identical to the CLI's.
int cli_rank(std::string_view param) {
  static constexpr std::array<std::string_view, 10> kOrder{"Action=",
                                                           "Version=",
                                                           "X-Amz-Algorithm=",
                                                           "X-Amz-Credential=",
                                                           "X-Amz-Date=",
                                                           "X-Amz-Expires=",
                                                           "X-Amz-SignedHeaders=",
                                                           "X-Amz-Security-Token=",
                                                           "X-Amz-Signature=",
                                                           ""};
  for (std::size_t i = 0; i + 1 < kOrder.size(); ++i) {
    if (param.substr(0, kOrder[i].size()) == kOrder[i]) return static_cast<int>(i);
  }
  return static_cast<int>(kOrder.size());
}

/// The presigned URL with its query parameters in the aws CLI's order.
std::string in_cli_order(const std::string& url) {
  const std::size_t q = url.find('?');
  if (q == std::string::npos) return url;
  std::vector<std::string> params = split(std::string_view(url).substr(q + 1), '&');
  std::stable_sort(params.begin(), params.end(),
                   [](const std::string& a, const std::string& b) { return cli_rank(a) < cli_rank(b); });
  return url.substr(0, q + 1) + join(params, "&");
}

}  // namespace

Result<EksToken> eks_token(const std::string& cluster_name, const aws::Credentials& credentials,
                           const std::string& region, Clock::time_point now,
                           const std::optional<std::string>& sts_endpoint) {
  if (cluster_name.empty()) {
    return make_error(ErrorCode::kInvalidArgument, "an EKS token needs a cluster name");
  }
  if (region.empty()) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("an EKS token for cluster {} needs an AWS region", cluster_name));
  }
  std::string endpoint =
      sts_endpoint && !sts_endpoint->empty() ? *sts_endpoint : aws::default_endpoint("sts", region);
  while (!endpoint.empty() && endpoint.back() == '/') endpoint.pop_back();
  // SigV4 dates have whole seconds; the CLI's expirationTimestamp too.
  const auto when = std::chrono::time_point_cast<std::chrono::seconds>(now);

  auto request = aws::signing_request("GET", endpoint + "/?Action=GetCallerIdentity&Version=2011-06-15",
                                      {{kEksClusterHeader, cluster_name}});
  if (!request) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("the STS endpoint for EKS cluster {} is not a URL", cluster_name),
                      request.error().describe());
  }
  aws::SigningParams params;
  params.region = region;
  params.service = "sts";
  params.when = when;
  // botocore presigns STS with the empty body's hash, not UNSIGNED-PAYLOAD (that is S3's).
  params.payload_hash = std::nullopt;
  auto presigned = aws::presign(*request, credentials, params, kEksPresignExpiry);
  if (!presigned) return presigned.error();
  return EksToken{Secret(kEksTokenPrefix + base64_encode(in_cli_order(presigned->url), Base64Alphabet::kUrl, false)),
                  when + kEksTokenLifetime};
}

}  // namespace mgate::backend::kube
