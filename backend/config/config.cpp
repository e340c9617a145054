// The small parts of the model (diagnostics, lookups, naming) and where the file comes from:
// locate() and load(). Parsing is in schema.cpp, printing in printer.cpp.

#include "backend/config/config.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

namespace mgate::backend::config {
namespace {

namespace fs = std::filesystem;

std::string env_or_empty(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? std::string() : std::string(v);
}

// "~/x" as the shell would have expanded it, for paths that come from the environment.
fs::path expand_home(const std::string& raw) {
  const std::string home = env_or_empty("HOME");
  if (!home.empty() && (raw == "~" || raw.starts_with("~/"))) {
    return fs::path(home) / raw.substr(raw.size() > 1 ? 2 : 1);
  }
  return raw;
}

// The default location and the words that explain it.
Result<Located> default_location() {
  const std::string xdg = env_or_empty("XDG_CONFIG_HOME");
  // The XDG spec says a relative XDG_CONFIG_HOME is invalid and must be ignored.
  if (!xdg.empty() && fs::path(xdg).is_absolute()) {
    return Located{fs::path(xdg) / "mgate" / "config.yaml", "$XDG_CONFIG_HOME/mgate/config.yaml"};
  }
  const std::string home = env_or_empty("HOME");
  if (home.empty()) {
    return make_error(ErrorCode::kInvalidArgument,
                      "cannot find the configuration: no --config, MGATE_CONFIG, XDG_CONFIG_HOME "
                      "or HOME; pass --config FILE or set MGATE_CONFIG");
  }
  return Located{fs::path(home) / ".config" / "mgate" / "config.yaml",
                 "~/.config/mgate/config.yaml (XDG_CONFIG_HOME is not set)"};
}

Diagnostic file_problem(const fs::path& file, std::string message) {
  return Diagnostic{Diagnostic::Severity::kError, Mark{file.string(), 0, 0}, "", std::move(message)};
}

}  // namespace

std::string Diagnostic::format() const {
  const char* level = severity == Severity::kError ? "error" : "warning";
  const std::string where =
      mark.line > 0 ? fmt::format("{}:{}:{}", mark.file, mark.line, mark.column) : mark.file;
  if (path.empty()) return fmt::format("{}: {}: {}", where, level, message);
  return fmt::format("{}: {}: {}: {}", where, level, path, message);
}

bool JobsConfig::static_name() const {
  return name.find('{') == std::string::npos;
}

std::string JobsConfig::job_name(std::string_view sha, std::string_view env) const {
  return expand_pattern(name, sha, env);
}

std::string RegistryConfig::built_tag_for(std::string_view sha, std::string_view env) const {
  return expand_pattern(built_tag, sha, env);
}

std::string RegistryConfig::migrated_tag_for(std::string_view sha, std::string_view env) const {
  return expand_pattern(migrated_tag, sha, env);
}

const char* to_string(RegistryConfig::Type type) {
  return type == RegistryConfig::Type::kEcr ? "ecr" : "oci";
}

const Environment* Config::find(std::string_view name) const {
  for (const auto& e : environments) {
    if (e.name == name) return &e;
  }
  return nullptr;
}

Result<Located> locate(const std::optional<fs::path>& flag) {
  Located located;
  if (flag && !flag->empty()) {
    located = Located{*flag, "--config"};
  } else if (const std::string env = env_or_empty("MGATE_CONFIG"); !env.empty()) {
    located = Located{expand_home(env), "MGATE_CONFIG"};
  } else {
    auto fallback = default_location();
    if (!fallback) return fallback.error();
    located = std::move(*fallback);
  }
  std::error_code ec;
  const auto status = fs::status(located.path, ec);
  if (fs::is_regular_file(status)) return located;
  const char* problem = fs::exists(status) ? "is not a regular file" : "does not exist";
  std::string advice = "pass --config FILE or set MGATE_CONFIG";
  if (located.origin != "--config" && located.origin != "MGATE_CONFIG") {
    advice += ", or create it (docs/configuration.md has examples)";
  }
  return make_error(ErrorCode::kInvalidArgument,
                    fmt::format("the configuration file {} {} (chosen by {}); {}", located.path.string(),
                                problem, located.origin, advice));
}

std::variant<Loaded, LoadFailure> load(const fs::path& file) {
  std::error_code ec;
  const auto status = fs::status(file, ec);
  if (!fs::exists(status)) {
    return LoadFailure{{file_problem(file, "cannot read the configuration: no such file")}};
  }
  if (fs::is_directory(status)) {
    return LoadFailure{{file_problem(file, "cannot read the configuration: it is a directory")}};
  }
  std::ifstream in(file, std::ios::binary);
  std::ostringstream text;
  if (in) text << in.rdbuf();
  if (!in || in.bad()) {
    return LoadFailure{
        {file_problem(file, fmt::format("cannot read the configuration: {}", std::strerror(errno)))}};
  }
  return parse(text.str(), file);
}

}  // namespace mgate::backend::config
