#include "tests/sandbox/kubesim/kubeconfig_writer.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <stdexcept>

#include <fmt/format.h>
#include <openssl/evp.h>
#include <nlohmann/json.hpp>

namespace mgate::kubesim {

namespace {

// A YAML double-quoted scalar. JSON string syntax is a subset of YAML's double-quoted style, so
// any value (colons, '#', leading '-', "yes", newlines) round-trips exactly.
std::string kubeconfig_quote(const std::string& value) {
  return nlohmann::json(value).dump();
}

// A single-quoted sh word: nothing inside is expanded.
std::string sh_quote(const std::string& value) {
  std::string out = "'";
  for (char c : value) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

std::string read_all(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(fmt::format("kubeconfig: cannot read {}", path.string()));
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string base64(const std::string& bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int n =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                      reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::string context_of(const KubeconfigParams& p) {
  return p.context_name.empty() ? p.cluster_name : p.context_name;
}

std::string user_of(const KubeconfigParams& p) {
  return p.user_name.empty() ? p.cluster_name + "-user" : p.user_name;
}

// Everything before the user's fields: cluster, context, current-context, and the users entry
// header. user_body follows, indented four spaces.
std::string document(const KubeconfigParams& p, const std::string& user_body) {
  std::string out = "apiVersion: v1\nkind: Config\nclusters:\n";
  out += fmt::format("- name: {}\n  cluster:\n    server: {}\n", kubeconfig_quote(p.cluster_name), kubeconfig_quote(p.server));
  out += fmt::format("    certificate-authority-data: {}\n", kubeconfig_quote(base64(read_all(p.ca_cert))));
  out += fmt::format("contexts:\n- name: {}\n  context:\n    cluster: {}\n    user: {}\n", kubeconfig_quote(context_of(p)),
                     kubeconfig_quote(p.cluster_name), kubeconfig_quote(user_of(p)));
  if (!p.ns.empty()) out += fmt::format("    namespace: {}\n", kubeconfig_quote(p.ns));
  out += fmt::format("current-context: {}\npreferences: {{}}\n", kubeconfig_quote(context_of(p)));
  out += fmt::format("users:\n- name: {}\n  user:\n", kubeconfig_quote(user_of(p)));
  return out + user_body;
}

std::string exec_body(const std::string& command, const std::vector<std::string>& args,
                      const std::string& api_version, const ExecEnv& env, bool interactive_never) {
  std::string out = fmt::format("    exec:\n      apiVersion: {}\n", kubeconfig_quote(api_version));
  if (!args.empty()) {
    out += "      args:\n";
    for (const auto& a : args) out += fmt::format("      - {}\n", kubeconfig_quote(a));
  }
  out += fmt::format("      command: {}\n", kubeconfig_quote(command));
  if (!env.empty()) {
    out += "      env:\n";
    for (const auto& [name, value] : env) {
      out += fmt::format("      - name: {}\n        value: {}\n", kubeconfig_quote(name), kubeconfig_quote(value));
    }
  }
  if (interactive_never) {
    // Required in v1; "Never" because tests run without a terminal.
    out += "      interactiveMode: Never\n      provideClusterInfo: false\n";
  }
  return out;
}

}  // namespace

std::string token_kubeconfig(const KubeconfigParams& params, const std::string& token) {
  return document(params, fmt::format("    token: {}\n", kubeconfig_quote(token)));
}

std::string client_cert_kubeconfig(const KubeconfigParams& params, const std::filesystem::path& cert,
                                   const std::filesystem::path& key) {
  return document(params, fmt::format("    client-certificate: {}\n    client-key: {}\n", kubeconfig_quote(cert.string()),
                                      kubeconfig_quote(key.string())));
}

std::string exec_kubeconfig(const KubeconfigParams& params, const std::filesystem::path& plugin,
                            const std::string& api_version, const ExecEnv& env) {
  return document(params, exec_body(std::filesystem::absolute(plugin).string(), {}, api_version, env, true));
}

std::string eks_kubeconfig(const KubeconfigParams& params, const std::string& cluster_name,
                           const std::string& region, const ExecEnv& env) {
  // The same entry `aws eks update-kubeconfig` writes (no interactiveMode: it predates v1).
  const std::vector<std::string> args = {"--region",       region,       "eks",      "get-token",
                                         "--cluster-name", cluster_name, "--output", "json"};
  return document(params, exec_body("aws", args, "client.authentication.k8s.io/v1beta1", env, false));
}

std::string exec_plugin_script(const std::string& token, const std::string& api_version,
                               int expires_in_seconds) {
  // The JSON is printed in three pieces so the expiry, computed at run time, sits between
  // two fixed single-quoted parts.
  const std::string prefix = fmt::format(
      R"({{"kind":"ExecCredential","apiVersion":{},"spec":{{}},"status":{{"token":{},"expirationTimestamp":")",
      nlohmann::json(api_version).dump(), nlohmann::json(token).dump());
  const std::string suffix = "\"}}";
  std::string script = "#!/bin/sh\n# kubesim exec credential plugin (written by kubeconfig_writer)\n";
  script += "if [ -n \"${KUBESIM_EXEC_COUNT_FILE:-}\" ]; then\n";
  script += "  echo \"$$\" >> \"$KUBESIM_EXEC_COUNT_FILE\"\nfi\n";
  script += fmt::format("expiry=$(date -u -d \"@$(( $(date +%s) + {} ))\" +%Y-%m-%dT%H:%M:%SZ)\n",
                        expires_in_seconds);
  script += fmt::format("printf '%s%s%s\\n' {} \"$expiry\" {}\n", sh_quote(prefix), sh_quote(suffix));
  return script;
}


}  // namespace mgate::kubesim
