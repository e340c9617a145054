#pragma once
// Which URL an AWS service is called at: the SDKs' configured-endpoint rules
// (https://docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html) for ECR and STS.

#include <optional>
#include <string>
#include <string_view>

#include "backend/aws/credential_chain.hpp"
#include "backend/core/error.hpp"

namespace mgate::backend::aws {

/// The public endpoint of `service` ("ecr", "sts") in `region`: "https://api.ecr.<region>.amazonaws.com",
/// "https://sts.<region>.amazonaws.com"; China regions (cn-*) end in amazonaws.com.cn. STS without a
/// region is the global "https://sts.amazonaws.com".
std::string default_endpoint(std::string_view service, std::string_view region);

/// The endpoint for `service`, first of:
///  1. `explicit_endpoint` (the environment's `endpoint:` in mgate's config; like --endpoint-url);
///  2. AWS_ENDPOINT_URL_<SERVICE> (AWS_ENDPOINT_URL_ECR, AWS_ENDPOINT_URL_STS);
///  3. AWS_ENDPOINT_URL;
///  4. the profile's `services` section: `[services NAME]` with a nested `<service> = / endpoint_url = URL`;
///  5. the profile's `endpoint_url`;
///  6. default_endpoint(service, region).
/// AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true (else the profile's `ignore_configured_endpoint_urls = true`)
/// skips 2-5. A configured value that is not an http(s) URL is kInvalidArgument naming where it came
/// from; a shared file that cannot be read is its error; ECR without a region is kInvalidArgument.
Result<std::string> resolve_endpoint(const CredentialOptions& options, std::string_view service,
                                     std::string_view region,
                                     const std::optional<std::string>& explicit_endpoint);

}  // namespace mgate::backend::aws
