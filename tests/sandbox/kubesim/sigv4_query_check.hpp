#pragma once
// The signature check STS makes on a pre-signed GetCallerIdentity URL (SigV4 query
// authentication). moto checks no signature, so the simulator makes STS's check itself before
// replaying an EKS token to moto: a token signed for another cluster (x-k8s-aws-id) or with a
// wrong secret is refused as real STS refuses it.

#include <map>
#include <string>

namespace mgate::kubesim {

/// Why a signature was refused, as STS's error code: "InvalidClientTokenId" (unknown access
/// key) or "SignatureDoesNotMatch"; empty when it verifies.
std::string sigv4_query_refusal(const std::string& host, const std::string& path,
                                const std::string& raw_query,
                                const std::map<std::string, std::string>& signed_header_values,
                                const std::map<std::string, std::string>& secret_keys);

}  // namespace mgate::kubesim
