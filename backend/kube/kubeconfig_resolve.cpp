// From a merged kubeconfig (or a pod's service account) to the RestConfig of one context.

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <system_error>

#include "backend/core/strings.hpp"
#include "backend/kube/kubeconfig.hpp"

namespace mgate::backend::kube {

namespace fs = std::filesystem;

namespace {

std::string file_names(const Kubeconfig& config) {
  std::vector<std::string> names;
  for (const auto& f : config.files) names.push_back(f.string());
  return names.empty() ? std::string("(no file)") : join(names, ":");
}

template <typename T>
std::string known_names(const std::map<std::string, T>& map) {
  std::vector<std::string> names;
  for (const auto& [name, entry] : map) names.push_back(name);
  return names.empty() ? std::string("none") : join(names, ", ");
}

Error config_error(const KubeconfigMark& mark, const std::string& what) {
  return make_error(ErrorCode::kInvalidArgument, "kubeconfig " + mark.str() + ": " + what);
}

// Reads a whole small file; nothing when it cannot be read.
std::optional<std::string> read_file_if_present(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return std::nullopt;
  return text.str();
}

// The context to use: the override, else current-context; errors name where the name came from.
Result<const KubeContext*> pick_context(const Kubeconfig& config, const std::optional<std::string>& name) {
  std::string wanted;
  std::string source;
  if (name && !name->empty()) {
    wanted = *name;
    source = "context \"" + wanted + "\" (asked for)";
  } else if (!config.current_context.empty()) {
    wanted = config.current_context;
    source = "current-context \"" + wanted + "\" (" + config.current_context_mark.str() + ")";
  } else {
    return make_error(ErrorCode::kInvalidArgument,
                      "kubeconfig " + file_names(config) + " sets no current-context and none was asked for; known contexts: " +
                          known_names(config.contexts));
  }
  auto it = config.contexts.find(wanted);
  if (it == config.contexts.end()) {
    return make_error(ErrorCode::kInvalidArgument, source + " is not a context in kubeconfig " + file_names(config) +
                                                       "; known contexts: " + known_names(config.contexts));
  }
  return &it->second;
}

// The cluster's server and TLS settings into out.
Status apply_cluster(const Kubeconfig& config, const KubeContext& ctx, RestConfig& out) {
  if (ctx.cluster.empty()) return config_error(ctx.mark, "context \"" + ctx.name + "\" names no cluster");
  auto it = config.clusters.find(ctx.cluster);
  if (it == config.clusters.end()) {
    return config_error(ctx.mark, "context \"" + ctx.name + "\" names cluster \"" + ctx.cluster +
                                      "\", which is not in kubeconfig " + file_names(config) +
                                      "; known clusters: " + known_names(config.clusters));
  }
  const KubeCluster& c = it->second;
  if (c.server.empty()) return config_error(c.mark, "cluster \"" + c.name + "\" has no server");
  out.server = c.server;
  // Data wins over a file for the same item, as in client-go.
  if (c.certificate_authority_data) {
    out.tls.ca_pem = c.certificate_authority_data;
  } else if (c.certificate_authority) {
    out.tls.ca_file = c.certificate_authority;
  }
  out.tls.insecure_skip_verify = c.insecure_skip_tls_verify;
  out.tls.server_name = c.tls_server_name;
  out.proxy_url = c.proxy_url;
  return ok_status();
}

// The user's client certificate and auth into out.
Status apply_user(const Kubeconfig& config, const KubeContext& ctx, RestConfig& out) {
  if (ctx.user.empty()) return ok_status();  // an anonymous user, as client-go allows
  auto it = config.users.find(ctx.user);
  if (it == config.users.end()) {
    return config_error(ctx.mark, "context \"" + ctx.name + "\" names user \"" + ctx.user +
                                      "\", which is not in kubeconfig " + file_names(config) +
                                      "; known users: " + known_names(config.users));
  }
  const KubeUser& u = it->second;
  out.user = u.name;
  if (u.unsupported) {
    return config_error(u.unsupported->second, "user \"" + u.name + "\": " + u.unsupported->first +
                                                   " authentication is not supported by mgate; use a token, "
                                                   "tokenFile, client certificate or exec plugin");
  }
  if (u.client_certificate_data) {
    out.tls.client_cert_pem = u.client_certificate_data;
  } else if (u.client_certificate) {
    out.tls.client_cert_file = u.client_certificate;
  }
  if (u.client_key_data) {
    out.tls.client_key_pem = u.client_key_data;
  } else if (u.client_key) {
    out.tls.client_key_file = u.client_key;
  }
  // client-go prefers a readable tokenFile over token, and either over exec.
  if (u.token_file) {
    out.auth = std::make_shared<TokenFile>(*u.token_file);
  } else if (u.token) {
    out.auth = *u.token;
  } else if (u.exec) {
    if (u.exec->command.empty()) return config_error(u.exec->mark, "user \"" + u.name + "\": exec has no command");
    if (u.exec->api_version.empty()) {
      return config_error(u.exec->mark, "user \"" + u.name + "\": exec has no apiVersion");
    }
    out.auth = *u.exec;
  }
  return ok_status();
}

std::optional<std::string> lookup(const EnvLookup& getenv, const std::string& name) {
  if (!getenv) return std::nullopt;
  auto v = getenv(name);
  if (v && v->empty()) return std::nullopt;
  return v;
}

}  // namespace

TokenFile::TokenFile(fs::path path) : path_(std::move(path)) {}

Result<Secret> TokenFile::current() {
  std::lock_guard lock(mutex_);
  std::error_code ec;
  const auto mtime = fs::last_write_time(path_, ec);
  const auto size = ec ? 0 : fs::file_size(path_, ec);
  if (ec) return make_error(ErrorCode::kIo, "token file " + path_.string() + " cannot be read", ec.message());
  if (mtime_ && *mtime_ == mtime && size_ == size && !token_.empty()) return token_;
  auto text = read_file_if_present(path_);
  if (!text) return make_error(ErrorCode::kIo, "token file " + path_.string() + " cannot be read");
  const std::string token(trim(*text));
  if (token.empty()) return make_error(ErrorCode::kUnauthenticated, "token file " + path_.string() + " is empty");
  mtime_ = mtime;
  size_ = size;
  token_ = Secret(token);
  return token_;
}

Result<RestConfig> resolve(const Kubeconfig& config, std::optional<std::string> context,
                           std::optional<std::string> ns_override) {
  auto ctx = pick_context(config, context);
  if (!ctx) return ctx.error();
  RestConfig out;
  out.context = (*ctx)->name;
  if (auto s = apply_cluster(config, **ctx, out); !s) return s.error();
  if (auto s = apply_user(config, **ctx, out); !s) return s.error();
  if (ns_override && !ns_override->empty()) {
    out.namespace_ = *ns_override;
  } else if (!(*ctx)->namespace_.empty()) {
    out.namespace_ = (*ctx)->namespace_;
  } else {
    out.namespace_ = "default";
  }
  return out;
}

InClusterSources InClusterSources::from_process() {
  InClusterSources s;
  s.getenv = [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());  // NOLINT(concurrency-mt-unsafe): read-only use
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  };
  return s;
}

Result<RestConfig> in_cluster_config(const InClusterSources& sources, std::optional<std::string> ns_override) {
  const auto host = lookup(sources.getenv, "KUBERNETES_SERVICE_HOST");
  const auto port = lookup(sources.getenv, "KUBERNETES_SERVICE_PORT");
  if (!host || !port) {
    return make_error(ErrorCode::kNotFound,
                      "not running in a cluster: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be set");
  }
  RestConfig out;
  // An IPv6 address needs brackets in a URL, as Go's net.JoinHostPort writes it.
  const bool v6 = host->find(':') != std::string::npos;
  out.server = "https://" + (v6 ? "[" + *host + "]" : *host) + ":" + *port;
  const fs::path dir = sources.service_account_dir;
  auto token = std::make_shared<TokenFile>(dir / "token");
  // Read once now, so a pod without a mounted token fails here rather than on the first call.
  if (auto t = token->current(); !t) return t.error();
  out.auth = std::move(token);
  std::error_code ec;
  if (fs::exists(dir / "ca.crt", ec)) out.tls.ca_file = dir / "ca.crt";
  if (ns_override && !ns_override->empty()) {
    out.namespace_ = *ns_override;
  } else if (auto env_ns = lookup(sources.getenv, "POD_NAMESPACE")) {
    out.namespace_ = *env_ns;
  } else if (auto file_ns = read_file_if_present(dir / "namespace"); file_ns && !trim(*file_ns).empty()) {
    out.namespace_ = std::string(trim(*file_ns));
  } else {
    out.namespace_ = "default";
  }
  return out;
}

}  // namespace mgate::backend::kube
