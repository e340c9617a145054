#pragma once
// Who a request is (bearer token, client certificate, EKS token) and what it may do: simple
// per-principal rules in place of RBAC. Unauthenticated → 401 Status; a rule miss → 403.

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "tests/sandbox/kubesim/api_error.hpp"
#include "tests/sandbox/kubesim/resources.hpp"

namespace mgate::kubesim {

/// A user and its groups.
struct Identity {
  std::string user;
  std::vector<std::string> groups;
};

/// One permission: verbs on resources in namespaces; "*" matches anything. Resources are
/// plurals as RBAC names them ("jobs", "pods", "pods/log").
struct AccessRule {
  std::vector<std::string> verbs{"*"};
  std::vector<std::string> resources{"*"};
  std::vector<std::string> namespaces{"*"};
};

/// An authenticated caller and its rules.
struct Principal {
  Identity identity;
  std::vector<AccessRule> rules;
};

/// Turns an EKS token into the caller's ARN, or throws std::runtime_error with the reason.
using EksVerifier = std::function<std::string(const std::string& token)>;

/// The simulator's authenticator and authorizer.
class AccessControl {
 public:
  /// A bearer token (static token, token file, exec plugin output) and whom it names.
  void add_token(const std::string& token, Principal principal);
  /// The rules of a client-certificate user, by the certificate's CN.
  void add_certificate_user(const std::string& common_name, std::vector<AccessRule> rules);
  /// EKS tokens ("k8s-aws-v1.…"): the verifier and the ARN → principal map ("*" = any ARN,
  /// mapped to a principal whose user is the ARN).
  void set_eks(EksVerifier verifier, std::map<std::string, Principal> by_arn);

  /// The caller: the client certificate first (as kube-apiserver's union authenticator tries
  /// x509 before tokens), then the bearer token. Throws 401 Unauthorized.
  Principal authenticate(const std::string& authorization_header,
                         const std::optional<Identity>& certificate) const;

  /// Throws 403 Forbidden when no rule allows `verb` on the resource (plural, or
  /// plural/subresource) in `ns`.
  static void authorize(const Principal& principal, const std::string& verb,
                        const ResourceInfo& info, const std::string& subresource,
                        const std::string& ns, const std::string& name);

 private:
  std::map<std::string, Principal> tokens_;
  std::map<std::string, std::vector<AccessRule>> certificate_users_;
  EksVerifier eks_verifier_;
  std::map<std::string, Principal> eks_users_;
};

}  // namespace mgate::kubesim
