// The configuration schema (docs/configuration.md): which keys each level allows, what each
// value must be, and the defaults. parse() lives here; the YAML walking is in map_reader.cpp.

#include <fmt/format.h>
#include <re2/re2.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdlib>

#include "backend/config/config.hpp"
#include "backend/config/map_reader.hpp"
#include "backend/core/redact.hpp"
#include "backend/core/strings.hpp"

namespace mgate::backend::config {
namespace {

namespace fs = std::filesystem;
using namespace std::string_view_literals;
using detail::KeyList;
using detail::MapReader;
using detail::Need;
using detail::PathMust;
using detail::quote;

constexpr std::array kTopKeys = {"project"sv,         "alembic"sv,   "audit_log"sv,
                                 "refresh_seconds"sv, "read_only"sv, "environments"sv};
constexpr std::array kAlembicKeys = {"scripts"sv, "git"sv};
constexpr std::array kEnvironmentKeys = {"protected"sv, "read_only"sv, "kube"sv,
                                         "database"sv,  "registry"sv,  "deploy"sv};
constexpr std::array kKubeKeys = {"kubeconfig"sv, "context"sv, "namespace"sv, "jobs"sv};
constexpr std::array kJobsKeys = {"selector"sv, "name"sv, "template"sv};
constexpr std::array kDatabaseKeys = {"dsn_env"sv,       "service"sv, "dsn"sv,
                                      "version_table"sv, "schema"sv,  "connect_timeout_seconds"sv};
constexpr std::array kRegistryKeys = {"type"sv,     "repository"sv,   "built_tag"sv,   "migrated_tag"sv,
                                      "endpoint"sv, "region"sv,       "registry_id"sv, "profile"sv,
                                      "url"sv,      "docker_config"sv};
constexpr std::array kEcrOnlyKeys = {"region"sv, "registry_id"sv, "profile"sv};
constexpr std::array kOciOnlyKeys = {"url"sv, "docker_config"sv};
constexpr std::array kDeployKeys = {"deployment"sv,       "container"sv,  "argocd_application"sv,
                                    "argocd_namespace"sv, "allow_tags"sv, "ignore_tags"sv,
                                    "update_strategy"sv};
constexpr std::array kDatabaseSources = {"dsn_env"sv, "service"sv, "dsn"sv};

// Patterns are checked with a full-length sha, the longest thing {sha} can become.
constexpr std::string_view kSampleSha = "0123456789abcdef0123456789abcdef01234567";

constexpr std::string_view kPasswordAdvice =
    "a password must not be written in the configuration file; remove it from the dsn and pass it "
    "one of three ways: dsn_env: VARIABLE (an environment variable holding the whole URI), "
    "service: NAME (a pg_service.conf entry, with its password in ~/.pgpass), "
    "or keep dsn: without the password and put the password in ~/.pgpass (or the file PGPASSFILE "
    "names)";

std::string schema_env_or_empty(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? std::string() : std::string(v);
}

bool all_of(std::string_view s, bool (*pred)(char)) {
  for (char c : s) {
    if (!pred(c)) return false;
  }
  return true;
}
bool is_lower_alnum_or_dash(char c) {
  return std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) ||
         c == '-';
}
bool is_word_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
}
bool is_digit(char c) {
  return std::isdigit(static_cast<unsigned char>(c)) != 0;
}
bool is_lower(char c) {
  return std::islower(static_cast<unsigned char>(c)) != 0;
}

bool is_environment_name(std::string_view s) {
  return !s.empty() && s.front() != '-' && all_of(s, is_lower_alnum_or_dash);
}

// An environment variable or SQL identifier: [A-Za-z_][A-Za-z0-9_]*.
bool is_identifier(std::string_view s) {
  return !s.empty() && !is_digit(s.front()) && all_of(s, is_word_char);
}

bool is_http_url(std::string_view s) {
  std::string_view rest;
  if (s.starts_with("https://")) {
    rest = s.substr(8);
  } else if (s.starts_with("http://")) {
    rest = s.substr(7);
  } else {
    return false;
  }
  if (rest.empty() || rest.front() == '/' || rest.front() == ':') return false;
  for (char c : rest) {
    if (std::isspace(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

// An AWS region: "us-east-1", "us-gov-west-1": letters-…-digits.
bool is_aws_region(std::string_view s) {
  const auto parts = split(s, '-');
  if (parts.size() < 3 || parts.front().size() != 2 || parts.back().empty()) return false;
  if (!all_of(parts.back(), is_digit)) return false;
  for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
    if (parts[i].empty() || !all_of(parts[i], is_lower)) return false;
  }
  return true;
}

// A repository path: lower-case components joined by '/', each [a-z0-9]+([._-][a-z0-9]+)*.
bool is_repository_name(std::string_view s) {
  if (s.empty() || s.size() > 256) return false;
  for (const auto& part : split(s, '/')) {
    if (part.empty()) return false;
    const auto ok = [](char c) { return std::islower(static_cast<unsigned char>(c)) || is_digit(c); };
    if (!ok(part.front()) || !ok(part.back())) return false;
    for (char c : part) {
      if (!ok(c) && c != '.' && c != '_' && c != '-') return false;
    }
  }
  return true;
}

fs::path default_audit_log(const MapReader& top) {
  // The XDG spec says to ignore a relative XDG_STATE_HOME.
  const std::string state = schema_env_or_empty("XDG_STATE_HOME");
  if (!state.empty() && fs::path(state).is_absolute()) {
    return (fs::path(state) / "mgate" / "audit.jsonl").lexically_normal();
  }
  if (!top.sink().home().empty()) {
    return (fs::path(top.sink().home()) / ".local/state/mgate/audit.jsonl").lexically_normal();
  }
  top.sink().error(top.where(), "audit_log",
                   "cannot choose the default audit_log: neither XDG_STATE_HOME nor HOME is set; "
                   "set audit_log");
  return {};
}

// A string that must also satisfy `valid`; reports `expected` with what was found.
std::optional<std::string> checked_text(const MapReader& m, std::string_view key, Need need,
                                        bool (*valid)(std::string_view), std::string_view expected) {
  auto v = m.text(key, need);
  if (v && !valid(*v)) {
    m.value_error(key, fmt::format("expected {}, got {}", expected, quote(*v)));
    return std::nullopt;
  }
  return v;
}

void read_alembic(const MapReader& m, AlembicConfig& out) {
  if (auto p = m.path_value("scripts", Need::kRequired, PathMust::kExistAsFileOrDirectory)) {
    out.scripts = *p;
  }
  out.git = m.path_value("git", Need::kOptional, PathMust::kExistAsDirectory);
}

void read_jobs(const MapReader& m, std::string_view env, JobsConfig& out) {
  if (auto selector = m.text("selector", Need::kRequired)) {
    if (auto why = label_selector_error(*selector)) {
      m.value_error("selector", fmt::format("not a Kubernetes label selector: {}", *why));
    } else {
      out.selector = *selector;
    }
  }
  if (auto name = m.text("name", Need::kRequired)) {
    const std::string expanded = expand_pattern(*name, kSampleSha, env);
    if (auto why = pattern_error(*name)) {
      m.value_error("name", *why);
    } else if (!is_dns1123_label(expanded)) {
      m.value_error(
          "name",
          fmt::format(
              "expected a Job name that is a DNS-1123 label after substitution (at most 63 lower-case "
              "letters, digits and '-', starting and ending with a letter or digit); with a "
              "40-character sha {} becomes {} ({} characters)",
              quote(*name), quote(expanded), expanded.size()));
    } else {
      out.name = *name;
    }
  }
  out.template_file = m.path_value("template", Need::kOptional, PathMust::kExistAsFile);
}

void read_kube(const MapReader& m, std::string_view env, KubeConfig& out) {
  out.kubeconfig = m.path_value("kubeconfig", Need::kOptional, PathMust::kAnything);
  out.context = m.text("context", Need::kOptional);
  out.namespace_ = checked_text(m, "namespace", Need::kOptional, is_dns1123_label,
                                "a Kubernetes namespace (a DNS-1123 label)");
  if (auto jobs = m.map("jobs", kJobsKeys, Need::kRequired)) read_jobs(*jobs, env, out.jobs);
}

// dsn: a libpq URI or key/value string, never with a password.
void read_dsn(const MapReader& m, DatabaseConfig& out) {
  const auto dsn = m.text("dsn", Need::kOptional);
  if (!dsn) return;
  if (dsn_has_password(*dsn)) {
    m.value_error("dsn", std::string(kPasswordAdvice));  // never echo the value: it holds the secret
    return;
  }
  const bool uri = dsn->find("://") != std::string::npos;
  const bool libpq_uri = dsn->starts_with("postgresql://") || dsn->starts_with("postgres://");
  if ((uri && !libpq_uri) || (!uri && dsn->find('=') == std::string::npos)) {
    m.value_error("dsn", fmt::format("expected a libpq URI (postgresql://user@host:port/db) or "
                                     "key=value pairs, got {}",
                                     quote(redact_dsn(*dsn))));
    return;
  }
  out.dsn = dsn;
}

void read_database(const MapReader& m, DatabaseConfig& out) {
  std::vector<std::string> given;
  for (const auto& e : m.entries()) {
    const bool source =
        std::find(kDatabaseSources.begin(), kDatabaseSources.end(), e.key) != kDatabaseSources.end();
    if (source && !e.value.IsNull()) given.push_back(e.key);
  }
  if (given.empty()) {
    m.sink().error(m.where(), m.path(), "expected exactly one of dsn_env, service or dsn; none is set");
  }
  for (std::size_t i = 1; i < given.size(); ++i) {
    m.key_error(given[i], fmt::format("'{}' and '{}' cannot both be set; give exactly one of "
                                      "dsn_env, service or dsn",
                                      given[i], given[0]));
  }
  out.dsn_env = checked_text(m, "dsn_env", Need::kOptional, is_identifier,
                             "an environment variable name ([A-Za-z_][A-Za-z0-9_]*)");
  out.service = checked_text(
      m, "service", Need::kOptional,
      [](std::string_view s) { return s.find_first_of(" \t[]=#") == std::string_view::npos; },
      "a libpq service name (no spaces, brackets, '=' or '#')");
  read_dsn(m, out);
  const auto sql_name = [](std::string_view s) { return is_identifier(s) && s.size() <= 63; };
  const std::string_view sql_expected = "an SQL identifier ([A-Za-z_][A-Za-z0-9_]*, at most 63)";
  if (auto t = checked_text(m, "version_table", Need::kOptional, sql_name, sql_expected)) {
    out.version_table = *t;
  }
  if (auto s = checked_text(m, "schema", Need::kOptional, sql_name, sql_expected)) out.schema = *s;
  if (auto t = m.integer("connect_timeout_seconds", 1, 300, Need::kOptional)) {
    out.connect_timeout_seconds = *t;
  }
}

// A built / migrated tag pattern, or `fallback` when absent; nothing when it is wrong.
std::optional<std::string> read_tag(const MapReader& m, std::string_view key, std::string_view env,
                                    std::string fallback) {
  if (!m.has(key)) return fallback;
  auto tag = m.text(key, Need::kOptional);
  if (!tag) return std::nullopt;
  const std::string expanded = expand_pattern(*tag, kSampleSha, env);
  std::optional<std::string> why = pattern_error(*tag);
  if (!why && tag->find("{sha}") == std::string::npos && tag->find("{sha7}") == std::string::npos) {
    why = fmt::format(
        "a tag pattern must contain {{sha}} or {{sha7}}, so each commit gets its own "
        "tag; got {}",
        quote(*tag));
  }
  if (!why && !is_image_tag(expanded)) {
    why = fmt::format(
        "expected an image tag after substitution (letters, digits, '_', '.' and "
        "'-', at most 128, not starting with '.' or '-'); {} becomes {}",
        quote(*tag), quote(expanded));
  }
  if (why) {
    m.value_error(key, *why);
    return std::nullopt;
  }
  return tag;
}

void read_registry_tags(const MapReader& m, std::string_view env, RegistryConfig& out) {
  const auto built = read_tag(m, "built_tag", env, fmt::format("{}-{{sha}}", env));
  const auto migrated = read_tag(m, "migrated_tag", env, fmt::format("{}-migrated-{{sha}}", env));
  if (built && migrated && *built == *migrated) {
    // Point at whichever the user wrote; with both defaults they cannot be equal.
    const std::string_view at = m.has("migrated_tag") ? "migrated_tag" : "built_tag";
    m.value_error(at, fmt::format("migrated_tag must differ from built_tag (both are {}): with the "
                                  "same tag every built image would look migrated",
                                  quote(*built)));
    return;
  }
  if (built) out.built_tag = *built;
  if (migrated) out.migrated_tag = *migrated;
}

// Keys of the other registry type are mistakes, not silently ignored settings.
void check_type_specific_keys(const MapReader& m, RegistryConfig::Type type) {
  const KeyList foreign = type == RegistryConfig::Type::kEcr ? KeyList(kOciOnlyKeys) : KeyList(kEcrOnlyKeys);
  const char* owner = type == RegistryConfig::Type::kEcr ? "oci" : "ecr";
  for (const std::string_view key : foreign) {
    if (m.has(key)) {
      m.key_error(key, fmt::format("'{}' applies only to type: {}; this registry is type: {}", key, owner,
                                   to_string(type)));
    }
  }
}

void read_registry(const MapReader& m, std::string_view env, RegistryConfig& out) {
  const auto type = m.choice("type", {"ecr", "oci"}, {}, Need::kRequired);
  if (type) out.type = *type == "ecr" ? RegistryConfig::Type::kEcr : RegistryConfig::Type::kOci;
  if (auto r = checked_text(m, "repository", Need::kRequired, is_repository_name,
                            "a repository name (lower-case letters, digits, '.', '_', '-', '/')")) {
    out.repository = *r;
  }
  read_registry_tags(m, env, out);
  out.endpoint = checked_text(m, "endpoint", Need::kOptional, is_http_url, "an http(s) URL");
  out.region = checked_text(m, "region", Need::kOptional, is_aws_region, "an AWS region such as us-east-1");
  out.registry_id = checked_text(
      m, "registry_id", Need::kOptional,
      [](std::string_view s) { return s.size() == 12 && all_of(s, is_digit); }, "a 12-digit AWS account id");
  out.profile = m.text("profile", Need::kOptional);
  const bool oci = type && out.type == RegistryConfig::Type::kOci;
  out.url = checked_text(m, "url", oci ? Need::kRequired : Need::kOptional, is_http_url, "an http(s) URL");
  out.docker_config = m.path_value("docker_config", Need::kOptional, PathMust::kAnything);
  if (type) check_type_specific_keys(m, out.type);
}

void read_allow_tags(const MapReader& m, DeployConfig& out) {
  const auto allow = m.text("allow_tags", Need::kOptional);
  if (!allow) return;
  if (*allow == "any") {
    out.allow_tags = allow;
    return;
  }
  if (!allow->starts_with("regexp:")) {
    m.value_error("allow_tags",
                  fmt::format("expected \"any\" or \"regexp:<expression>\", got {}", quote(*allow)));
    return;
  }
  RE2::Options options;
  options.set_log_errors(false);  // RE2 would print to stderr; the warning says it instead
  const RE2 re(allow->substr(7), options);
  if (!re.ok()) {
    m.value_warning("allow_tags",
                    fmt::format("the regexp does not compile ({}); Argo CD Image Updater treats an "
                                "invalid regexp as matching nothing, so no tag would be deployed",
                                re.error()));
  }
  out.allow_tags = allow;
}

DeployConfig read_deploy(const MapReader& m) {
  DeployConfig out;
  out.deployment = m.text("deployment", Need::kOptional);
  out.container = m.text("container", Need::kOptional);
  out.argocd_application = m.text("argocd_application", Need::kOptional);
  out.argocd_namespace = checked_text(m, "argocd_namespace", Need::kOptional, is_dns1123_label,
                                      "a Kubernetes namespace (a DNS-1123 label)");
  read_allow_tags(m, out);
  if (auto globs = m.text_list("ignore_tags")) out.ignore_tags = *globs;
  if (auto s = m.choice("update_strategy", {"newest-build", "semver", "alphabetical", "digest"},
                        {{"latest", "newest-build"}, {"name", "alphabetical"}}, Need::kOptional)) {
    out.update_strategy = *s;
  }
  return out;
}

Environment read_environment(const MapReader& m, const std::string& name) {
  Environment e;
  e.name = name;
  if (auto b = m.boolean("protected")) e.protected_ = *b;
  if (auto b = m.boolean("read_only")) e.read_only = *b;
  if (auto k = m.map("kube", kKubeKeys, Need::kRequired)) read_kube(*k, name, e.kube);
  if (auto d = m.map("database", kDatabaseKeys, Need::kRequired)) read_database(*d, e.database);
  if (auto r = m.map("registry", kRegistryKeys, Need::kRequired)) read_registry(*r, name, e.registry);
  if (auto d = m.map("deploy", kDeployKeys, Need::kOptional)) e.deploy = read_deploy(*d);
  return e;
}

void read_environments(const MapReader& top, Config& out) {
  const auto* entry = top.find("environments");
  if (entry == nullptr) return top.missing("environments");
  if (entry->value.IsNull()) {
    return top.value_error("environments",
                           "expected a mapping of environment names to settings, got nothing");
  }
  auto envs = MapReader::any_keys(top.sink(), entry->value, "environments", entry->key_mark);
  if (!envs.valid()) return;
  if (envs.entries().empty()) top.value_error("environments", "expected at least one environment");
  for (const auto& e : envs.entries()) {
    if (!is_environment_name(e.key)) {
      envs.key_error(e.key, fmt::format("expected an environment name (lower-case letters, digits "
                                        "and '-', not starting with '-'), got {}",
                                        quote(e.key)));
    }
    if (e.value.IsNull()) {
      envs.value_error(e.key, "expected a mapping with kube, database and registry, got nothing");
      continue;
    }
    MapReader env(top.sink(), e.value, envs.child_path(e.key), e.key_mark, kEnvironmentKeys);
    if (env.valid()) out.environments.push_back(read_environment(env, e.key));
  }
}

void read_config(detail::Sink& sink, const YAML::Node& root, Config& out) {
  if (!root.IsMap()) {
    const Mark at = root.IsNull() ? Mark{sink.file(), 1, 1} : sink.mark(root);
    sink.error(at, "",
               fmt::format("expected a mapping with the keys project, alembic and environments at "
                           "the top level, got {}",
                           root.IsNull() ? "an empty file" : detail::describe(root)));
    return;
  }
  const MapReader top(sink, root, "", sink.mark(root), kTopKeys);
  if (auto p = top.text("project", Need::kRequired)) out.project = *p;
  if (auto a = top.map("alembic", kAlembicKeys, Need::kRequired)) read_alembic(*a, out.alembic);
  if (auto p = top.path_value("audit_log", Need::kOptional, PathMust::kAnything)) {
    out.audit_log = *p;
  } else if (!top.has("audit_log")) {
    out.audit_log = default_audit_log(top);
  }
  if (auto r = top.integer("refresh_seconds", 1, 3600, Need::kOptional)) out.refresh_seconds = *r;
  if (auto b = top.boolean("read_only")) out.read_only = *b;
  read_environments(top, out);
}

// The parser's message, with the usual cause of "illegal map value" spelled out.
std::string syntax_message(const YAML::Exception& e, const std::string& text) {
  std::string message = "YAML syntax error: " + e.msg;
  if (e.mark.line >= 0) {
    const auto lines = split(text, '\n');
    const auto line = static_cast<std::size_t>(e.mark.line);
    if (line < lines.size() && lines[line].find('\t') != std::string::npos) {
      message += " (this line holds a tab; YAML indents with spaces only)";
    }
  }
  return message;
}

}  // namespace

std::variant<Loaded, LoadFailure> parse(const std::string& text, const fs::path& file) {
  std::error_code ec;
  fs::path absolute = fs::absolute(file, ec).lexically_normal();
  if (ec) absolute = file;
  detail::Sink sink(file.string(), absolute.parent_path(), schema_env_or_empty("HOME"));
  Config config;
  config.source = absolute;
  try {
    const std::vector<YAML::Node> documents = YAML::LoadAll(text);
    if (documents.size() > 1) {
      sink.error(sink.mark(documents[1]), "",
                 "expected one YAML document; this is a second one (after '---')");
    }
    read_config(sink, documents.empty() ? YAML::Node() : documents.front(), config);
  } catch (const YAML::Exception& e) {
    // ParserException for bad syntax; anything else from yaml-cpp is reported the same way
    // rather than escaping the module.
    sink.error(sink.mark(e.mark), "", syntax_message(e, text));
  }
  if (sink.has_errors()) return LoadFailure{sink.sorted()};
  return Loaded{std::move(config), sink.sorted()};
}

}  // namespace mgate::backend::config
