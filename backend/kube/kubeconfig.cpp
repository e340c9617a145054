// Kubeconfig files: the file list, parsing each file, and merging them as client-go does.

#include "backend/kube/kubeconfig.hpp"

#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
#include <system_error>

#include <yaml-cpp/yaml.h>

#include "backend/core/base64.hpp"

namespace mgate::backend::kube {

namespace fs = std::filesystem;

std::string KubeconfigMark::str() const {
  if (line <= 0) return file.string();
  return file.string() + ":" + std::to_string(line) + ":" + std::to_string(column);
}

KubeconfigSources KubeconfigSources::from_process(std::optional<fs::path> explicit_path) {
  KubeconfigSources s;
  s.explicit_path = std::move(explicit_path);
  s.getenv = [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());  // NOLINT(concurrency-mt-unsafe): read-only use
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  };
  if (const char* home = std::getenv("HOME"); home != nullptr) s.home = home;  // NOLINT
  return s;
}

namespace {

// Thrown only inside this file, turned into an Error at the public boundary.
struct ParseError {
  Error error;
};

[[noreturn]] void fail(const KubeconfigMark& mark, const std::string& what) {
  throw ParseError{make_error(ErrorCode::kInvalidArgument, "kubeconfig " + mark.str() + ": " + what)};
}

// Reads one file into the entries of a Kubeconfig (not yet merged with others).
class FileParser {
 public:
  explicit FileParser(fs::path file) : file_(std::move(file)) {}

  Kubeconfig parse(const std::string& text) {
    YAML::Node root;
    try {
      root = YAML::Load(text);
    } catch (const YAML::Exception& e) {
      fail(at(e.mark), "not valid YAML: " + e.msg);
    }
    Kubeconfig out;
    out.files.push_back(file_);
    if (root.IsNull()) return out;  // an empty file is an empty config, as for kubectl
    if (!root.IsMap()) fail(at(root.Mark()), "expected a mapping at the top level");
    each(root, "clusters", [&](const YAML::Node& n, const std::string& path) {
      auto c = cluster(n, path);
      add(out.clusters, std::move(c), path, "cluster");
    });
    each(root, "users", [&](const YAML::Node& n, const std::string& path) {
      auto u = user(n, path);
      add(out.users, std::move(u), path, "user");
    });
    each(root, "contexts", [&](const YAML::Node& n, const std::string& path) {
      auto c = context(n, path);
      add(out.contexts, std::move(c), path, "context");
    });
    if (auto cc = str(root, "current-context", "current-context")) {
      out.current_context = *cc;
      out.current_context_mark = at(root["current-context"].Mark());
    }
    return out;
  }

 private:
  KubeconfigMark at(const YAML::Mark& m) const {
    if (m.is_null()) return KubeconfigMark{file_, 0, 0};
    return KubeconfigMark{file_, m.line + 1, m.column + 1};
  }

  // A list of named entries (clusters, users, contexts); a missing or null key is no entries.
  template <typename F>
  void each(const YAML::Node& root, const char* key, F&& f) {
    const YAML::Node list = root[key];
    if (!list || list.IsNull()) return;
    if (!list.IsSequence()) fail(at(list.Mark()), std::string(key) + ": expected a list");
    for (std::size_t i = 0; i < list.size(); ++i) {
      f(list[i], std::string(key) + "[" + std::to_string(i) + "]");
    }
  }

  template <typename T>
  void add(std::map<std::string, T>& map, T entry, const std::string& path, const char* kind) {
    if (map.count(entry.name) != 0) {
      // client-go refuses a name listed twice in one file.
      fail(entry.mark, path + ": duplicate " + std::string(kind) + " name \"" + entry.name + "\"");
    }
    std::string name = entry.name;
    map.emplace(std::move(name), std::move(entry));
  }

  // A scalar string value, nothing when absent or null.
  std::optional<std::string> str(const YAML::Node& parent, const char* key, const std::string& path) {
    const YAML::Node n = parent[key];
    if (!n || n.IsNull()) return std::nullopt;
    if (!n.IsScalar()) fail(at(n.Mark()), path + ": expected a string");
    return n.Scalar();
  }

  bool boolean(const YAML::Node& parent, const char* key, const std::string& path) {
    const YAML::Node n = parent[key];
    if (!n || n.IsNull()) return false;
    bool value = false;
    if (!n.IsScalar() || !YAML::convert<bool>::decode(n, value)) {
      fail(at(n.Mark()), path + ": expected true or false, got \"" + (n.IsScalar() ? n.Scalar() : "") + "\"");
    }
    return value;
  }

  std::optional<std::string> base64(const YAML::Node& parent, const char* key, const std::string& path) {
    auto text = str(parent, key, path);
    if (!text) return std::nullopt;
    auto bytes = base64_decode(*text);
    if (!bytes) fail(at(parent[key].Mark()), path + ": not valid base64");
    return bytes;
  }

  // A path as client-go resolves it: relative ones against this file's directory.
  std::optional<fs::path> file_path(const YAML::Node& parent, const char* key, const std::string& path) {
    auto text = str(parent, key, path);
    if (!text || text->empty()) return std::nullopt;
    return resolve_path(*text);
  }

  fs::path resolve_path(const std::string& text) const {
    fs::path p(text);
    if (p.is_absolute()) return p;
    return file_.parent_path() / p;
  }

  // The mapping under `key` of a named entry ("cluster", "user", "context"), and its name.
  std::pair<std::string, YAML::Node> named(const YAML::Node& n, const char* key, const std::string& path) {
    if (!n.IsMap()) fail(at(n.Mark()), path + ": expected a mapping with name and " + key);
    auto name = str(n, "name", path + ".name");
    if (!name || name->empty()) fail(at(n.Mark()), path + ": the entry has no name");
    YAML::Node body = n[key];
    if (body && !body.IsNull() && !body.IsMap()) fail(at(body.Mark()), path + "." + key + ": expected a mapping");
    return {*name, body && body.IsMap() ? body : YAML::Node(YAML::NodeType::Map)};
  }

  KubeCluster cluster(const YAML::Node& n, const std::string& path) {
    auto [name, b] = named(n, "cluster", path);
    const std::string p = path + ".cluster.";
    KubeCluster c;
    c.name = name;
    c.mark = at(n.Mark());
    c.server = str(b, "server", p + "server").value_or("");
    c.certificate_authority = file_path(b, "certificate-authority", p + "certificate-authority");
    c.certificate_authority_data = base64(b, "certificate-authority-data", p + "certificate-authority-data");
    c.insecure_skip_tls_verify = boolean(b, "insecure-skip-tls-verify", p + "insecure-skip-tls-verify");
    c.tls_server_name = str(b, "tls-server-name", p + "tls-server-name");
    c.proxy_url = str(b, "proxy-url", p + "proxy-url");
    return c;
  }

  KubeUser user(const YAML::Node& n, const std::string& path) {
    auto [name, b] = named(n, "user", path);
    const std::string p = path + ".user.";
    KubeUser u;
    u.name = name;
    u.mark = at(n.Mark());
    if (auto t = str(b, "token", p + "token"); t && !t->empty()) u.token = Secret(*t);
    u.token_file = file_path(b, "tokenFile", p + "tokenFile");
    u.client_certificate = file_path(b, "client-certificate", p + "client-certificate");
    u.client_certificate_data = base64(b, "client-certificate-data", p + "client-certificate-data");
    u.client_key = file_path(b, "client-key", p + "client-key");
    if (auto k = base64(b, "client-key-data", p + "client-key-data")) u.client_key_data = Secret(std::move(*k));
    for (const char* key : {"username", "password", "auth-provider"}) {
      if (b[key] && !b[key].IsNull() && !u.unsupported) u.unsupported = {key, at(b[key].Mark())};
    }
    const YAML::Node e = b["exec"];
    if (e && !e.IsNull()) u.exec = exec(e, p + "exec");
    return u;
  }

  ExecConfig exec(const YAML::Node& e, const std::string& path) {
    if (!e.IsMap()) fail(at(e.Mark()), path + ": expected a mapping");
    ExecConfig x;
    x.mark = at(e.Mark());
    x.api_version = str(e, "apiVersion", path + ".apiVersion").value_or("");
    x.command = str(e, "command", path + ".command").value_or("");
    // client-go resolves the command only when it names a path, not a PATH lookup.
    if (x.command.find('/') != std::string::npos) x.command = resolve_path(x.command).string();
    if (const YAML::Node a = e["args"]; a && !a.IsNull()) {
      if (!a.IsSequence()) fail(at(a.Mark()), path + ".args: expected a list of strings");
      for (std::size_t i = 0; i < a.size(); ++i) {
        if (!a[i].IsScalar()) fail(at(a[i].Mark()), path + ".args[" + std::to_string(i) + "]: expected a string");
        x.args.push_back(a[i].Scalar());
      }
    }
    if (const YAML::Node env = e["env"]; env && !env.IsNull()) {
      if (!env.IsSequence()) fail(at(env.Mark()), path + ".env: expected a list of name/value");
      for (std::size_t i = 0; i < env.size(); ++i) {
        const std::string ep = path + ".env[" + std::to_string(i) + "]";
        if (!env[i].IsMap()) fail(at(env[i].Mark()), ep + ": expected a mapping with name and value");
        auto name = str(env[i], "name", ep + ".name");
        if (!name || name->empty()) fail(at(env[i].Mark()), ep + ": the variable has no name");
        x.env.push_back({*name, str(env[i], "value", ep + ".value").value_or("")});
      }
    }
    x.install_hint = str(e, "installHint", path + ".installHint").value_or("");
    x.provide_cluster_info = boolean(e, "provideClusterInfo", path + ".provideClusterInfo");
    x.interactive_mode = interactive_mode(e, x.api_version, path);
    return x;
  }

  // interactiveMode, defaulted and checked as client-go does.
  ExecInteractiveMode interactive_mode(const YAML::Node& e, const std::string& api_version,
                                       const std::string& path) {
    const auto mode = str(e, "interactiveMode", path + ".interactiveMode").value_or("");
    if (mode == "Never") return ExecInteractiveMode::kNever;
    if (mode == "IfAvailable") return ExecInteractiveMode::kIfAvailable;
    if (mode == "Always") return ExecInteractiveMode::kAlways;
    if (!mode.empty()) {
      fail(at(e["interactiveMode"].Mark()),
           path + ".interactiveMode: expected Never, IfAvailable or Always, got \"" + mode + "\"");
    }
    if (api_version == "client.authentication.k8s.io/v1") {
      fail(at(e.Mark()), path + ": interactiveMode must be given for apiVersion " + api_version);
    }
    return ExecInteractiveMode::kIfAvailable;
  }

  KubeContext context(const YAML::Node& n, const std::string& path) {
    auto [name, b] = named(n, "context", path);
    const std::string p = path + ".context.";
    KubeContext c;
    c.name = name;
    c.mark = at(n.Mark());
    c.cluster = str(b, "cluster", p + "cluster").value_or("");
    c.user = str(b, "user", p + "user").value_or("");
    c.namespace_ = str(b, "namespace", p + "namespace").value_or("");
    return c;
  }

  fs::path file_;
};

// The files to read: the explicit path, else $KUBECONFIG (split on ':', empties dropped,
// duplicates dropped as client-go does), else ~/.kube/config.
std::vector<fs::path> file_list(const KubeconfigSources& s, bool& must_exist) {
  must_exist = false;
  if (s.explicit_path) {
    must_exist = true;
    return {*s.explicit_path};
  }
  std::vector<fs::path> out;
  if (auto env = s.getenv ? s.getenv("KUBECONFIG") : std::nullopt; env && !env->empty()) {
    std::set<std::string> seen;
    std::stringstream list(*env);
    std::string item;
    while (std::getline(list, item, ':')) {
      if (!item.empty() && seen.insert(item).second) out.emplace_back(item);
    }
    return out;
  }
  if (!s.home.empty()) out.push_back(s.home / ".kube" / "config");
  return out;
}

// Adds the entries of next under names not yet taken: the first file that defines a name wins.
void merge_into(Kubeconfig& merged, Kubeconfig next) {
  merged.files.insert(merged.files.end(), next.files.begin(), next.files.end());
  for (auto& [k, v] : next.clusters) merged.clusters.try_emplace(k, std::move(v));
  for (auto& [k, v] : next.users) merged.users.try_emplace(k, std::move(v));
  for (auto& [k, v] : next.contexts) merged.contexts.try_emplace(k, std::move(v));
  if (merged.current_context.empty() && !next.current_context.empty()) {
    merged.current_context = std::move(next.current_context);
    merged.current_context_mark = std::move(next.current_context_mark);
  }
}

}  // namespace

Result<Kubeconfig> parse_kubeconfig(const std::string& text, const fs::path& file) {
  try {
    return FileParser(file).parse(text);
  } catch (const ParseError& e) {
    return e.error;
  } catch (const YAML::Exception& e) {
    return make_error(ErrorCode::kInvalidArgument, "kubeconfig " + file.string() + ": " + e.what());
  }
}

Result<Kubeconfig> load_kubeconfig(const KubeconfigSources& sources) {
  bool must_exist = false;
  const auto files = file_list(sources, must_exist);
  Kubeconfig merged;
  std::vector<std::string> tried;
  for (const auto& file : files) {
    tried.push_back(file.string());
    std::error_code ec;
    if (!fs::exists(file, ec)) {
      // client-go skips missing entries of $KUBECONFIG, but not an explicit --kubeconfig.
      if (must_exist) return make_error(ErrorCode::kNotFound, "kubeconfig " + file.string() + " does not exist");
      continue;
    }
    std::ifstream in(file, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    if (!in || in.bad()) {
      return make_error(ErrorCode::kIo, "kubeconfig " + file.string() + " cannot be read");
    }
    auto parsed = parse_kubeconfig(text.str(), file);
    if (!parsed) return parsed.error();
    merge_into(merged, std::move(parsed).value());
  }
  if (merged.files.empty()) {
    std::string list;
    for (const auto& t : tried) list += (list.empty() ? "" : ", ") + t;
    return make_error(ErrorCode::kNotFound,
                      "no kubeconfig found (looked at: " + (list.empty() ? std::string("nothing, no $HOME") : list) + ")");
  }
  return merged;
}

}  // namespace mgate::backend::kube
