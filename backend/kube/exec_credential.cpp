#include "backend/kube/exec_credential.hpp"

#include <sys/wait.h>

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>

#include "backend/core/base64.hpp"
#include "backend/core/strings.hpp"
#include "backend/core/subprocess.hpp"

extern char** environ;  // NOLINT: POSIX has the program declare it; the child's env starts from it

namespace mgate::backend::kube {
namespace {

/// The most of a plugin's stderr an error quotes: its last lines say why it failed.
constexpr std::size_t kStderrTail = 512;

Error plugin_error(ErrorCode code, const std::string& command, const std::string& why,
                   std::string detail = {}) {
  return make_error(code, fmt::format("exec credential plugin {}: {}", command, why), std::move(detail));
}

/// A plugin run's output, both streams, and how it ended.
using ChildOutput = SubprocessResult;

/// The parent's environment with `extra` added; an extra name replaces the parent's entry,
/// as Go's exec.Cmd keeps the last of duplicate names.
std::vector<std::string> child_environment(const std::vector<std::pair<std::string, std::string>>& extra) {
  std::vector<std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    const std::string_view entry(*e);
    const std::string_view name = entry.substr(0, entry.find('='));
    bool replaced = false;
    for (const auto& [n, v] : extra) replaced = replaced || n == name;
    if (!replaced) env.emplace_back(entry);
  }
  for (const auto& [n, v] : extra) {
    std::string entry = n;
    entry += '=';
    entry += v;
    env.push_back(std::move(entry));
  }
  return env;
}

/// The last kStderrTail bytes of stderr, starting at a line, without trailing white space.
std::string stderr_tail(const std::string& err) {
  std::string_view text = trim(err);
  if (text.size() > kStderrTail) {
    text = text.substr(text.size() - kStderrTail);
    const std::size_t nl = text.find('\n');
    if (nl != std::string_view::npos && nl + 1 < text.size()) text = text.substr(nl + 1);
  }
  return std::string(text);
}

struct SpawnRequest {
  std::vector<std::string> argv;
  std::vector<std::string> env;
  std::string install_hint;
  std::chrono::milliseconds timeout;
};

Result<ChildOutput> spawn_and_wait(const SpawnRequest& req) {
  const std::string& command = req.argv[0];
  // stdin is /dev/null: the console owns the terminal (the plugin runs non-interactively).
  // posix_spawnp searches the console's own PATH, as Go's exec.LookPath does for client-go.
  SubprocessResult result = run_subprocess(SubprocessRequest{req.argv, req.env, req.timeout});
  switch (result.outcome) {
    case SubprocessResult::Outcome::kSpawnFailed:
      if (result.failed_call == "posix_spawnp" && result.error_number == ENOENT) {
        std::string why = "executable not found";
        if (!req.install_hint.empty()) why += ". " + std::string(trim(req.install_hint));
        return plugin_error(ErrorCode::kNotFound, command, why);
      }
      if (result.failed_call == "pipe") {
        return plugin_error(ErrorCode::kIo, command, fmt::format("pipe: {}", std::strerror(result.error_number)));
      }
      return plugin_error(ErrorCode::kIo, command, fmt::format("cannot run: {}", std::strerror(result.error_number)));
    case SubprocessResult::Outcome::kTimedOut:
      return plugin_error(ErrorCode::kTimeout, command, fmt::format("did not finish within {} ms", req.timeout.count()),
                          stderr_tail(result.err));
    case SubprocessResult::Outcome::kExited:
      break;
  }
  return result;
}

Status check_mode(const ExecPluginConfig& config) {
  if (config.api_version != kExecApiV1Beta1 && config.api_version != kExecApiV1) {
    return plugin_error(
        ErrorCode::kInvalidArgument, config.command,
        fmt::format("apiVersion \"{}\" is not {} or {}", config.api_version, kExecApiV1Beta1, kExecApiV1));
  }
  const std::string& mode = config.interactive_mode;
  if (mode == "Always") {
    return plugin_error(ErrorCode::kRefused, config.command,
                        "interactiveMode Always is unsupported inside the console, which keeps the "
                        "terminal; log in outside it (or set interactiveMode: IfAvailable)");
  }
  if (!mode.empty() && mode != "IfAvailable" && mode != "Never") {
    return plugin_error(ErrorCode::kInvalidArgument, config.command,
                        fmt::format("interactiveMode \"{}\" is not Never, IfAvailable or Always", mode));
  }
  return ok_status();
}

}  // namespace

std::string exec_info_json(const ExecPluginConfig& config, const std::optional<ExecClusterInfo>& cluster) {
  nlohmann::ordered_json info;
  info["apiVersion"] = config.api_version;
  info["kind"] = "ExecCredential";
  info["spec"]["interactive"] = false;
  if (config.provide_cluster_info && cluster) {
    nlohmann::ordered_json c;
    c["server"] = cluster->server;
    if (!cluster->tls_server_name.empty()) c["tls-server-name"] = cluster->tls_server_name;
    if (cluster->insecure_skip_tls_verify) c["insecure-skip-tls-verify"] = true;
    if (!cluster->certificate_authority_pem.empty())
      c["certificate-authority-data"] = base64_encode(cluster->certificate_authority_pem);
    info["spec"]["cluster"] = std::move(c);
  }
  return info.dump();
}

namespace {

/// A string field of status, or nothing when absent; an error when it is not a string.
Result<std::optional<std::string>> status_string(const nlohmann::json& status, const char* key,
                                                 const std::string& command) {
  const auto it = status.find(key);
  if (it == status.end() || it->is_null()) return std::optional<std::string>{};
  if (!it->is_string()) {
    return plugin_error(ErrorCode::kProtocol, command, fmt::format("status.{} is not a string", key));
  }
  return std::optional<std::string>{it->get<std::string>()};
}

}  // namespace

Result<ExecCredential> parse_exec_credential(std::string_view output, const std::string& api_version,
                                             const std::string& command) {
  // Parse without exceptions; the output is never quoted, since it holds the credential.
  const nlohmann::json doc = nlohmann::json::parse(output, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    return plugin_error(ErrorCode::kProtocol, command, "printed no ExecCredential JSON object");
  }
  const std::string got_version = doc.value("apiVersion", std::string());
  if (got_version != api_version) {
    return plugin_error(ErrorCode::kProtocol, command,
                        fmt::format("is configured to use API version {}, plugin returned version {}",
                                    api_version, got_version.empty() ? "(none)" : got_version));
  }
  if (const std::string kind = doc.value("kind", std::string()); kind != "ExecCredential") {
    return plugin_error(ErrorCode::kProtocol, command,
                        fmt::format("returned kind \"{}\", not ExecCredential", kind));
  }
  const auto status = doc.find("status");
  if (status == doc.end() || !status->is_object()) {
    return plugin_error(ErrorCode::kProtocol, command, "didn't return a status field");
  }
  auto token = status_string(*status, "token", command);
  auto cert = status_string(*status, "clientCertificateData", command);
  auto key = status_string(*status, "clientKeyData", command);
  auto expiry = status_string(*status, "expirationTimestamp", command);
  for (const auto* r : {&token, &cert, &key, &expiry}) {
    if (!r->ok()) return r->error();
  }
  const bool has_token = token->has_value() && !(*token)->empty();
  const bool has_cert = cert->has_value() && !(*cert)->empty();
  const bool has_key = key->has_value() && !(*key)->empty();
  if (has_cert != has_key) {
    return plugin_error(ErrorCode::kProtocol, command,
                        "returned only one of clientCertificateData and clientKeyData");
  }
  if (!has_token && !has_cert) {
    return plugin_error(ErrorCode::kProtocol, command, "didn't return a token or cert/key pair");
  }
  ExecCredential credential;
  if (has_token) credential.token = Secret(**token);
  if (has_cert) {
    credential.client_certificate_data = Secret(**cert);
    credential.client_key_data = Secret(**key);
  }
  if (expiry->has_value() && !(*expiry)->empty()) {
    auto when = parse_rfc3339(**expiry);
    if (!when) {
      return plugin_error(ErrorCode::kProtocol, command, "returned a bad status.expirationTimestamp",
                          when.error().describe());
    }
    credential.expiration = *when;
  }
  return credential;
}

ExecCredentialProvider::ExecCredentialProvider(ExecPluginConfig config, ExecProviderOptions options)
    : config_(std::move(config)), options_(std::move(options)) {
  if (!options_.clock) options_.clock = [] { return Clock::now(); };
}

Result<ExecCredential> ExecCredentialProvider::credential() {
  std::lock_guard<std::mutex> lock(mutex_);
  // client-go's rule: a credential is good until its expirationTimestamp has passed.
  if (cached_ && (!cached_->expiration || options_.clock() < *cached_->expiration)) return *cached_;
  cached_.reset();
  auto fresh = run_plugin();
  if (!fresh) return fresh.error();
  cached_ = *fresh;
  return fresh;
}

void ExecCredentialProvider::invalidate() {
  std::lock_guard<std::mutex> lock(mutex_);
  cached_.reset();
}

int ExecCredentialProvider::runs() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return runs_;
}

Result<ExecCredential> ExecCredentialProvider::run_plugin() {
  if (config_.command.empty()) {
    return make_error(ErrorCode::kInvalidArgument, "exec credential plugin: the exec stanza has no command");
  }
  if (Status mode = check_mode(config_); !mode) return mode.error();
  SpawnRequest req;
  req.argv.push_back(config_.command);
  req.argv.insert(req.argv.end(), config_.args.begin(), config_.args.end());
  auto extra = config_.env;
  extra.emplace_back("KUBERNETES_EXEC_INFO", exec_info_json(config_, options_.cluster));
  req.env = child_environment(extra);
  req.install_hint = config_.install_hint;
  req.timeout = options_.timeout;
  ++runs_;
  auto child = spawn_and_wait(req);
  if (!child) return child.error();
  const int status = child->status;
  if (WIFSIGNALED(status)) {
    return plugin_error(ErrorCode::kUnauthenticated, config_.command,
                        fmt::format("was killed by signal {}", WTERMSIG(status)), stderr_tail(child->err));
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    const std::string tail = stderr_tail(child->err);
    return plugin_error(
        ErrorCode::kUnauthenticated, config_.command,
        fmt::format("exited with code {}{}{}", WEXITSTATUS(status), tail.empty() ? "" : ": ", tail), tail);
  }
  return parse_exec_credential(child->out, config_.api_version, config_.command);
}

}  // namespace mgate::backend::kube
