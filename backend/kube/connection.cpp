#include "backend/kube/connection.hpp"

#include <fmt/format.h>

#include <cstdlib>
#include <fstream>
#include <mutex>
#include <sstream>

#include "backend/aws/credential_chain.hpp"
#include "backend/aws/endpoints.hpp"
#include "backend/kube/eks_token.hpp"
#include "backend/kube/exec_credential.hpp"

namespace mgate::backend::kube {

namespace {

/// A token re-read from its file; after a 401 the file is simply read again.
class TokenFileSource : public TokenSource {
 public:
  explicit TokenFileSource(std::shared_ptr<TokenFile> file) : file_(std::move(file)) {}
  Result<std::optional<Secret>> token() override {
    auto t = file_->current();
    if (!t) return t.error();
    return std::optional<Secret>(*t);
  }
  bool invalidate() override { return true; }

 private:
  std::shared_ptr<TokenFile> file_;
};

/// An exec plugin's token, cached by its expiry; run again after a 401.
class ExecTokenSource : public TokenSource {
 public:
  ExecTokenSource(ExecPluginConfig config, ExecProviderOptions options)
      : provider_(std::move(config), std::move(options)) {}
  Result<std::optional<Secret>> token() override {
    auto c = provider_.credential();
    if (!c) return c.error();
    if (c->token.reveal().empty()) {
      return make_error(ErrorCode::kInvalidArgument,
                        "the exec plugin answered with a client certificate, which mgate does not "
                        "use yet; configure a token plugin");
    }
    return std::optional<Secret>(c->token);
  }
  bool invalidate() override {
    provider_.invalidate();
    return true;
  }

 private:
  ExecCredentialProvider provider_;
};

/// An EKS token built in process from the AWS credential chain, renewed a minute before the
/// aws CLI's own expiry and after a 401.
class EksTokenSource : public TokenSource {
 public:
  EksTokenSource(EksExec eks, std::vector<ExecEnvVar> env) : eks_(std::move(eks)), env_(std::move(env)) {}
  Result<std::optional<Secret>> token() override {
    std::lock_guard lock(mu_);
    const auto now = Clock::now();
    if (cached_ && now < cached_->expiration - std::chrono::minutes(1)) return std::optional<Secret>(cached_->token);
    aws::CredentialOptions options;
    // The stanza's env (AWS_PROFILE, ...) is what the plugin would have seen: it wins.
    const auto env = env_;
    options.getenv = [env](const char* name) -> std::optional<std::string> {
      for (const auto& e : env) {
        if (e.name == name) return e.value;
      }
      const char* v = std::getenv(name);
      return v ? std::optional<std::string>(v) : std::nullopt;
    };
    options.profile = eks_.profile;
    auto region = eks_.region ? Result<std::optional<std::string>>(eks_.region)
                              : aws::resolve_region(options, std::nullopt);
    if (!region) return region.error();
    if (!*region) {
      return make_error(ErrorCode::kInvalidArgument,
                        fmt::format("EKS token for cluster {}: no region (--region, AWS_REGION or the profile's)", eks_.cluster));
    }
    options.region = **region;
    auto creds = aws::resolve_credentials(options);
    if (!creds) return Error{creds.error().code, "EKS token: " + creds.error().message, creds.error().detail};
    auto endpoint = aws::resolve_endpoint(options, "sts", **region, std::nullopt);
    if (!endpoint) return endpoint.error();
    auto token = eks_token(eks_.cluster, creds->credentials, **region, now, *endpoint);
    if (!token) return token.error();
    cached_ = *token;
    return std::optional<Secret>(cached_->token);
  }
  bool invalidate() override {
    std::lock_guard lock(mu_);
    cached_.reset();
    return true;
  }

 private:
  EksExec eks_;
  std::vector<ExecEnvVar> env_;
  std::mutex mu_;
  std::optional<EksToken> cached_;
};

ExecPluginConfig plugin_config(const ExecConfig& e) {
  ExecPluginConfig c;
  c.api_version = e.api_version;
  c.command = e.command;
  c.args = e.args;
  for (const auto& v : e.env) c.env.emplace_back(v.name, v.value);
  c.install_hint = e.install_hint;
  c.provide_cluster_info = e.provide_cluster_info;
  c.interactive_mode = e.interactive_mode == ExecInteractiveMode::kAlways  ? "Always"
                       : e.interactive_mode == ExecInteractiveMode::kNever ? "Never"
                                                                           : "IfAvailable";
  return c;
}

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

ExecClusterInfo cluster_info(const RestConfig& rest) {
  ExecClusterInfo info;
  info.server = rest.server;
  info.certificate_authority_pem = rest.tls.ca_pem ? *rest.tls.ca_pem
                                   : rest.tls.ca_file ? read_file(*rest.tls.ca_file)
                                                      : std::string();
  info.tls_server_name = rest.tls.server_name.value_or("");
  info.insecure_skip_tls_verify = rest.tls.insecure_skip_verify;
  return info;
}

}  // namespace

std::optional<EksExec> recognise_eks_exec(const ExecConfig& exec) {
  const std::string base = std::filesystem::path(exec.command).filename().string();
  if (base != "aws") return std::nullopt;
  EksExec eks;
  bool eks_cmd = false;
  bool get_token = false;
  for (std::size_t i = 0; i < exec.args.size(); ++i) {
    const std::string& a = exec.args[i];
    const bool has_value = i + 1 < exec.args.size();
    if (a == "eks") eks_cmd = true;
    else if (a == "get-token") get_token = true;
    else if ((a == "--cluster-name" || a == "--cluster-id") && has_value) eks.cluster = exec.args[++i];
    else if (a == "--region" && has_value) eks.region = exec.args[++i];
    else if (a == "--profile" && has_value) eks.profile = exec.args[++i];
    else if (a == "--role-arn") return std::nullopt;
    else if (a == "--output" && has_value) ++i;
  }
  if (!eks_cmd || !get_token || eks.cluster.empty()) return std::nullopt;
  return eks;
}

Result<KubeConnection> connect(const RestConfig& rest) {
  KubeConnection c;
  c.ns = rest.namespace_;
  c.server = rest.server;
  c.context = rest.context;
  ApiClientOptions options;
  options.server = rest.server;
  options.http.tls = rest.tls;
  if (rest.proxy_url) options.http.proxy = rest.proxy_url;
  const bool has_cert = rest.tls.client_cert_file || rest.tls.client_cert_pem;
  c.auth = has_cert ? "client certificate" : "none";
  if (const auto* token = std::get_if<Secret>(&rest.auth)) {
    options.token = std::make_shared<StaticToken>(*token);
    c.auth = "token";
  } else if (const auto* file = std::get_if<std::shared_ptr<TokenFile>>(&rest.auth)) {
    options.token = std::make_shared<TokenFileSource>(*file);
    c.auth = "token file " + (*file)->path().string();
  } else if (const auto* exec = std::get_if<ExecConfig>(&rest.auth)) {
    if (auto eks = recognise_eks_exec(*exec)) {
      options.token = std::make_shared<EksTokenSource>(*eks, exec->env);
      c.auth = fmt::format("EKS token (cluster {})", eks->cluster);
    } else {
      ExecProviderOptions po;
      if (exec->provide_cluster_info) po.cluster = cluster_info(rest);
      options.token = std::make_shared<ExecTokenSource>(plugin_config(*exec), po);
      c.auth = "exec plugin " + exec->command;
    }
  }
  c.client = std::make_unique<ApiClient>(std::move(options));
  return c;
}

Result<KubeConnection> connect(const config::KubeConfig& settings, const KubeconfigSources& sources,
                               const InClusterSources& in_cluster) {
  KubeconfigSources s = sources;
  if (settings.kubeconfig) s.explicit_path = settings.kubeconfig;
  auto loaded = load_kubeconfig(s);
  if (!loaded) {
    // No kubeconfig anywhere: inside a pod the service account answers.
    if (loaded.error().code == ErrorCode::kNotFound && !settings.kubeconfig) {
      auto pod = in_cluster_config(in_cluster, settings.namespace_);
      if (pod) return connect(*pod);
    }
    return loaded.error();
  }
  auto rest = resolve(*loaded, settings.context, settings.namespace_);
  if (!rest) return rest.error();
  return connect(*rest);
}

}  // namespace mgate::backend::kube
