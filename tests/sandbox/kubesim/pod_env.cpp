#include "tests/sandbox/kubesim/pod_env.hpp"

#include <fmt/format.h>

#include <map>

#include "tests/sandbox/kubesim/resources.hpp"

namespace mgate::kubesim {

namespace {

// A name → value list that keeps the first position of a name and the last value, so a later
// source overrides an earlier one as the runtime's map would.
class OrderedEnv {
 public:
  void set(const std::string& name, const std::string& value) {
    const auto it = index_.find(name);
    if (it == index_.end()) {
      index_.emplace(name, list_.size());
      list_.emplace_back(name, value);
    } else {
      list_[it->second].second = value;
    }
  }
  std::optional<std::string> get(const std::string& name) const {
    const auto it = index_.find(name);
    if (it == index_.end()) return std::nullopt;
    return list_[it->second].second;
  }
  const EnvList& list() const { return list_; }

 private:
  EnvList list_;
  std::map<std::string, std::size_t> index_;
};

bool optional_ref(const Json& ref) { return ref.value("optional", false); }

// The kubelet's lister error for a missing object: `secret "NAME" not found`.
[[noreturn]] void throw_missing(const std::string& resource, const std::string& name) {
  const char* kind = resource == kSecrets ? "secret" : "configmap";
  throw EnvConfigError(fmt::format("{} \"{}\" not found", kind, name));
}

// The object's data as text: Secret data is base64; stringData is honoured for a store that
// kept it as written.
std::map<std::string, std::string> object_data(const std::string& resource, const Json& object) {
  std::map<std::string, std::string> data;
  // Copies first: items() of a temporary would dangle.
  const Json string_data = object.value("stringData", Json::object());
  const Json raw = object.value("data", Json::object());
  if (resource == kSecrets) {
    for (const auto& [k, v] : string_data.items()) data[k] = v.get<std::string>();
    for (const auto& [k, v] : raw.items()) data[k] = decode_base64(v.get<std::string>());
  } else {
    for (const auto& [k, v] : raw.items()) data[k] = v.get<std::string>();
  }
  return data;
}

// One envFrom source into `env`; returns the warning for skipped keys ("" when none).
std::string apply_env_from(const Json& source, const std::string& ns, const EnvSources& sources,
                           OrderedEnv& env) {
  const bool is_secret = source.contains("secretRef");
  const std::string resource = is_secret ? kSecrets : kConfigMaps;
  const Json& ref = is_secret ? source["secretRef"] : source.value("configMapRef", Json::object());
  const std::string name = ref.value("name", "");
  const std::optional<Json> object = sources.lookup(resource, ns, name);
  if (!object) {
    if (optional_ref(ref)) return {};
    throw_missing(resource, name);
  }
  const std::string prefix = source.value("prefix", "");
  std::vector<std::string> invalid;
  for (const auto& [key, value] : object_data(resource, *object)) {
    const std::string var = prefix + key;
    if (!is_env_var_name(var)) {
      invalid.push_back(var);
      continue;
    }
    env.set(var, value);
  }
  if (invalid.empty()) return {};
  return fmt::format(
      "Keys [{}] from the EnvFrom {} {}/{} were skipped since they are considered invalid "
      "environment variable names.",
      fmt::join(invalid, ", "), is_secret ? "secret" : "configMap", ns, name);
}

// A configMapKeyRef / secretKeyRef value; nullopt when optional and missing.
std::optional<std::string> key_ref_value(const std::string& resource, const Json& ref,
                                         const std::string& ns, const EnvSources& sources) {
  const std::string name = ref.value("name", "");
  const std::string key = ref.value("key", "");
  const std::optional<Json> object = sources.lookup(resource, ns, name);
  if (!object) {
    if (optional_ref(ref)) return std::nullopt;
    throw_missing(resource, name);
  }
  const auto data = object_data(resource, *object);
  const auto it = data.find(key);
  if (it == data.end()) {
    if (optional_ref(ref)) return std::nullopt;
    throw EnvConfigError(fmt::format("couldn't find key {} in {} {}/{}", key,
                                     resource == kSecrets ? "Secret" : "ConfigMap", ns, name));
  }
  return it->second;
}

// One `env` entry's value; nullopt when it is left out (an optional source that is missing).
std::optional<std::string> env_entry_value(const Json& pod, const Json& entry,
                                           const std::string& ns, const EnvSources& sources,
                                           const OrderedEnv& kubelet_env) {
  const std::string value = entry.value("value", "");
  if (!value.empty() || !entry.contains("valueFrom")) {
    return expand_references(value, [&](const std::string& name) -> std::optional<std::string> {
      if (auto v = kubelet_env.get(name)) return v;
      for (const auto& [k, v] : sources.base_env) {
        if (k == name) return v;
      }
      return std::nullopt;
    });
  }
  const Json& from = entry["valueFrom"];
  if (from.contains("fieldRef")) {
    return pod_field_value(pod, from["fieldRef"].value("fieldPath", ""), sources.host_ip,
                           sources.pod_ip);
  }
  if (from.contains("configMapKeyRef")) {
    return key_ref_value(kConfigMaps, from["configMapKeyRef"], ns, sources);
  }
  if (from.contains("secretKeyRef")) {
    return key_ref_value(kSecrets, from["secretKeyRef"], ns, sources);
  }
  return std::string();  // resourceFieldRef: the simulator has no node allocatable to report
}

// "metadata.labels['app']" → ("labels", "app"); nullopt for another shape.
std::optional<std::pair<std::string, std::string>> subscript(const std::string& path) {
  for (const char* field : {"labels", "annotations"}) {
    const std::string head = std::string("metadata.") + field + "['";
    if (path.rfind(head, 0) == 0 && path.size() > head.size() + 2 &&
        path.compare(path.size() - 2, 2, "']") == 0) {
      return std::make_pair(std::string(field),
                            path.substr(head.size(), path.size() - head.size() - 2));
    }
  }
  return std::nullopt;
}

}  // namespace

bool is_env_var_name(const std::string& name) {
  if (name.empty()) return false;
  const auto ok = [](char c, bool first) {
    return c == '-' || c == '.' || c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (!first && c >= '0' && c <= '9');
  };
  for (std::size_t i = 0; i < name.size(); ++i) {
    if (!ok(name[i], i == 0)) return false;
  }
  return true;
}

std::string expand_references(
    const std::string& input,
    const std::function<std::optional<std::string>(const std::string&)>& lookup) {
  std::string out;
  std::size_t i = 0;
  while (i < input.size()) {
    if (input[i] != '$' || i + 1 >= input.size()) {
      out += input[i++];
      continue;
    }
    const char next = input[i + 1];
    if (next == '$') {  // escaped operator
      out += '$';
      i += 2;
    } else if (next == '(') {
      const auto close = input.find(')', i + 2);
      if (close == std::string::npos) {  // incomplete reference: kept as written
        out += "$(";
        i += 2;
        continue;
      }
      const std::string name = input.substr(i + 2, close - i - 2);
      const auto value = lookup(name);
      out += value ? *value : "$(" + name + ")";
      i = close + 1;
    } else {  // a lone '$' and the character after it, verbatim
      out += '$';
      out += next;
      i += 2;
    }
  }
  return out;
}

std::vector<std::string> expand_args(const std::vector<std::string>& args, const EnvList& env) {
  std::map<std::string, std::string> vars;
  for (const auto& [k, v] : env) vars[k] = v;
  std::vector<std::string> out;
  out.reserve(args.size());
  for (const auto& arg : args) {
    out.push_back(expand_references(arg, [&](const std::string& name) -> std::optional<std::string> {
      const auto it = vars.find(name);
      if (it == vars.end()) return std::nullopt;
      return it->second;
    }));
  }
  return out;
}

std::string pod_field_value(const Json& pod, const std::string& field_path,
                            const std::string& host_ip, const std::string& pod_ip) {
  const Json& meta = pod.value("metadata", Json::object());
  const Json& spec = pod.value("spec", Json::object());
  if (field_path == "metadata.name") return meta.value("name", "");
  if (field_path == "metadata.namespace") return meta.value("namespace", "default");
  if (field_path == "metadata.uid") return meta.value("uid", "");
  if (field_path == "spec.nodeName") return spec.value("nodeName", "");
  if (field_path == "spec.serviceAccountName") return spec.value("serviceAccountName", "");
  if (field_path == "status.hostIP" || field_path == "status.hostIPs") return host_ip;
  if (field_path == "status.podIP" || field_path == "status.podIPs") return pod_ip;
  if (const auto sub = subscript(field_path)) {
    const Json& map = meta.value(sub->first, Json::object());
    return map.value(sub->second, "");
  }
  throw EnvConfigError(fmt::format("unsupported fieldPath: {}", field_path));
}

std::string decode_base64(const std::string& text) {
  static const std::string kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  unsigned bits = 0;
  int count = 0;
  for (const char c : text) {
    if (c == '=') break;
    if (c == '\n' || c == '\r') continue;
    const auto pos = kAlphabet.find(c);
    if (pos == std::string::npos) throw EnvConfigError("illegal base64 data in Secret");
    bits = (bits << 6) | static_cast<unsigned>(pos);
    count += 6;
    if (count >= 8) {
      count -= 8;
      out += static_cast<char>((bits >> count) & 0xFF);
    }
  }
  return out;
}

ContainerEnv resolve_container_env(const Json& pod, const Json& container,
                                   const EnvSources& sources) {
  const Json& meta = pod.value("metadata", Json::object());
  const std::string ns = meta.value("namespace", "default");
  ContainerEnv result;
  OrderedEnv kubelet_env;  // the kubelet's tmpEnv: envFrom, then env
  for (const Json& source : container.value("envFrom", Json::array())) {
    std::string warning = apply_env_from(source, ns, sources, kubelet_env);
    if (!warning.empty()) result.warnings.push_back(std::move(warning));
  }
  for (const Json& entry : container.value("env", Json::array())) {
    auto value = env_entry_value(pod, entry, ns, sources, kubelet_env);
    if (value) kubelet_env.set(entry.value("name", ""), *value);
  }
  OrderedEnv env;
  for (const auto& [k, v] : sources.base_env) env.set(k, v);
  for (const auto& [k, v] : sources.image_env) env.set(k, v);
  env.set("HOSTNAME", meta.value("name", ""));
  for (const auto& [k, v] : kubelet_env.list()) env.set(k, v);
  result.env = env.list();
  OrderedEnv expansion;
  for (const auto& [k, v] : sources.base_env) expansion.set(k, v);
  for (const auto& [k, v] : kubelet_env.list()) expansion.set(k, v);
  result.expansion_env = expansion.list();
  return result;
}

}  // namespace mgate::kubesim
