// Printing the resolved configuration: one JSON tree built from the model, printed as JSON or
// walked into YAML, so the two outputs cannot drift apart. Secrets never reach either.

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "backend/config/config.hpp"
#include "backend/core/redact.hpp"

namespace mgate::backend::config {
namespace {

using Json = nlohmann::ordered_json;

void put(Json& j, const char* key, const std::optional<std::string>& v) {
  if (v) j[key] = *v;
}
void put(Json& j, const char* key, const std::optional<std::filesystem::path>& v) {
  if (v) j[key] = v->string();
}

// A value from the environment for a person to read: password masked, one line. A value that
// is neither a URI nor key=value text might be a bare password, so it is not shown at all.
Json shown_env_value(const std::string& value) {
  const bool uri = value.find("://") != std::string::npos;
  const bool keyvalue = value.find('=') != std::string::npos;
  if (!uri && !keyvalue) {
    return "(hidden: not a libpq URI or key=value string)";
  }
  std::string shown = redact_dsn(value);
  std::replace_if(
      shown.begin(), shown.end(), [](char c) { return std::iscntrl(static_cast<unsigned char>(c)) != 0; },
      ' ');
  return shown;
}

Json database_json(const DatabaseConfig& d) {
  Json j = Json::object();
  if (d.dsn_env) {
    j["dsn_env"] = *d.dsn_env;
    const char* value = std::getenv(d.dsn_env->c_str());
    j["dsn_env_set"] = value != nullptr;
    j["dsn_env_value"] = value != nullptr ? shown_env_value(value) : Json(nullptr);
  }
  put(j, "service", d.service);
  // A dsn with a password cannot load, but a Config may be built by hand: mask it regardless.
  if (d.dsn) j["dsn"] = redact_dsn(*d.dsn);
  j["version_table"] = d.version_table;
  j["schema"] = d.schema;
  j["connect_timeout_seconds"] = d.connect_timeout_seconds;
  return j;
}

Json kube_json(const KubeConfig& k) {
  Json j = Json::object();
  put(j, "kubeconfig", k.kubeconfig);
  put(j, "context", k.context);
  put(j, "namespace", k.namespace_);
  Json jobs = Json::object();
  jobs["selector"] = k.jobs.selector;
  jobs["name"] = k.jobs.name;
  put(jobs, "template", k.jobs.template_file);
  j["jobs"] = std::move(jobs);
  return j;
}

Json registry_json(const RegistryConfig& r) {
  Json j = Json::object();
  j["type"] = to_string(r.type);
  j["repository"] = r.repository;
  j["built_tag"] = r.built_tag;
  j["migrated_tag"] = r.migrated_tag;
  put(j, "endpoint", r.endpoint);
  put(j, "region", r.region);
  put(j, "registry_id", r.registry_id);
  put(j, "profile", r.profile);
  put(j, "url", r.url);
  put(j, "docker_config", r.docker_config);
  return j;
}

Json deploy_json(const DeployConfig& d) {
  Json j = Json::object();
  put(j, "deployment", d.deployment);
  put(j, "container", d.container);
  put(j, "argocd_application", d.argocd_application);
  put(j, "argocd_namespace", d.argocd_namespace);
  put(j, "allow_tags", d.allow_tags);
  if (!d.ignore_tags.empty()) j["ignore_tags"] = d.ignore_tags;
  j["update_strategy"] = d.update_strategy;
  return j;
}

Json config_json(const Config& c) {
  Json j = Json::object();
  j["project"] = c.project;
  Json alembic = Json::object();
  alembic["scripts"] = c.alembic.scripts.string();
  put(alembic, "git", c.alembic.git);
  j["alembic"] = std::move(alembic);
  j["audit_log"] = c.audit_log.string();
  j["refresh_seconds"] = c.refresh_seconds;
  j["read_only"] = c.read_only;
  Json envs = Json::object();
  for (const auto& e : c.environments) {
    Json env = Json::object();
    env["protected"] = e.protected_;
    env["read_only"] = e.read_only;
    env["kube"] = kube_json(e.kube);
    env["database"] = database_json(e.database);
    env["registry"] = registry_json(e.registry);
    if (e.deploy) env["deploy"] = deploy_json(*e.deploy);
    envs[e.name] = std::move(env);
  }
  j["environments"] = std::move(envs);
  return j;
}

// True when a plain scalar with this text would be read back as something other than a string
// by some YAML reader (numbers, booleans, null), so it is quoted to stay a string everywhere.
bool needs_quotes(const std::string& s) {
  if (s.empty()) return true;
  constexpr std::array<std::string_view, 10> kWords = {"true", "false", "yes", "no",   "on",
                                                       "off",  "y",     "n",   "null", "~"};
  std::string lower(s);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (const std::string_view w : kWords) {
    if (lower == w) return true;
  }
  return std::all_of(s.begin(), s.end(), [](unsigned char c) {
    return std::isdigit(c) || c == '.' || c == '-' || c == '+' || c == 'e' || c == 'E';
  });
}

void emit(YAML::Emitter& out, const Json& j);

void emit_scalar(YAML::Emitter& out, const Json& j) {
  if (j.is_boolean()) {
    out << j.get<bool>();
  } else if (j.is_number_integer()) {
    out << j.get<long long>();
  } else if (j.is_string()) {
    const auto& s = j.get_ref<const std::string&>();
    if (needs_quotes(s)) out << YAML::DoubleQuoted;
    out << s;
  } else {
    out << YAML::Null;
  }
}

// The comment after dsn_env: whether the variable is set here, and its value with the password masked.
std::string dsn_env_comment(const Json& database) {
  if (!database.value("dsn_env_set", false)) return "not set in this environment";
  return "set: " + database["dsn_env_value"].get<std::string>();
}

void emit_map(YAML::Emitter& out, const Json& j) {
  out << YAML::BeginMap;
  for (const auto& [key, value] : j.items()) {
    // The two dsn_env_* fields are JSON's way of saying what the YAML says in a comment.
    if (key == "dsn_env_set" || key == "dsn_env_value") continue;
    out << YAML::Key << key << YAML::Value;
    emit(out, value);
    if (key == "dsn_env") out << YAML::Comment(dsn_env_comment(j));
  }
  out << YAML::EndMap;
}

void emit(YAML::Emitter& out, const Json& j) {
  if (j.is_object()) {
    emit_map(out, j);
  } else if (j.is_array()) {
    out << YAML::BeginSeq;
    for (const auto& item : j) emit(out, item);
    out << YAML::EndSeq;
  } else {
    emit_scalar(out, j);
  }
}

}  // namespace

std::string to_yaml(const Config& config) {
  YAML::Emitter out;
  out.SetIndent(2);
  emit(out, config_json(config));
  return std::string(out.c_str()) + "\n";
}

std::string to_json(const Config& config) {
  return config_json(config).dump(2);
}

}  // namespace mgate::backend::config
