#include "tests/sandbox/kubesim/access.hpp"

#include <algorithm>

namespace mgate::kubesim {

namespace {
constexpr const char* kEksPrefix = "k8s-aws-v1.";

bool matches(const std::vector<std::string>& allowed, const std::string& value) {
  return std::any_of(allowed.begin(), allowed.end(),
                     [&](const std::string& a) { return a == "*" || a == value; });
}
}  // namespace

void AccessControl::add_token(const std::string& token, Principal principal) {
  tokens_[token] = std::move(principal);
}

void AccessControl::add_certificate_user(const std::string& common_name,
                                         std::vector<AccessRule> rules) {
  certificate_users_[common_name] = std::move(rules);
}

void AccessControl::set_eks(EksVerifier verifier, std::map<std::string, Principal> by_arn) {
  eks_verifier_ = std::move(verifier);
  eks_users_ = std::move(by_arn);
}

Principal AccessControl::authenticate(const std::string& authorization_header,
                                      const std::optional<Identity>& certificate) const {
  if (certificate) {
    auto it = certificate_users_.find(certificate->user);
    // A verified certificate authenticates even without rules; it is then simply forbidden.
    return Principal{*certificate, it == certificate_users_.end() ? std::vector<AccessRule>{}
                                                                   : it->second};
  }
  const std::string bearer = "Bearer ";
  if (authorization_header.size() <= bearer.size() ||
      !std::equal(bearer.begin(), bearer.end(), authorization_header.begin(),
                  [](char a, char b) { return std::tolower(a) == std::tolower(b); })) {
    throw unauthorized();
  }
  const std::string token = authorization_header.substr(bearer.size());
  if (token.rfind(kEksPrefix, 0) == 0 && eks_verifier_) {
    std::string arn;
    try {
      arn = eks_verifier_(token);
    } catch (const std::exception&) {
      throw unauthorized();
    }
    auto it = eks_users_.find(arn);
    if (it == eks_users_.end()) it = eks_users_.find("*");
    if (it == eks_users_.end()) throw unauthorized();
    Principal p = it->second;
    if (p.identity.user.empty()) p.identity.user = arn;
    return p;
  }
  auto it = tokens_.find(token);
  if (it == tokens_.end()) throw unauthorized();
  return it->second;
}

void AccessControl::authorize(const Principal& principal, const std::string& verb,
                              const ResourceInfo& info, const std::string& subresource,
                              const std::string& ns, const std::string& name) {
  const std::string res = subresource.empty() ? info.plural : info.plural + "/" + subresource;
  // A cluster-scoped request (all namespaces) needs a rule for every namespace.
  for (const auto& rule : principal.rules) {
    if (!matches(rule.verbs, verb) || !matches(rule.resources, res)) continue;
    const bool in_scope =
        ns.empty() ? std::find(rule.namespaces.begin(), rule.namespaces.end(), "*") !=
                         rule.namespaces.end()
                   : matches(rule.namespaces, ns);
    if (in_scope) return;
  }
  throw forbidden(principal.identity.user, verb, res, info.group, ns, name);
}

}  // namespace mgate::kubesim
