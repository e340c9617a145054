#pragma once
// Helpers shared by the configuration tests: the fixture directory, a scoped environment
// variable, and parse() wrappers that fail the test with the diagnostics when the outcome is
// not the expected one.

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "backend/config/config.hpp"

namespace mgate::backend::config::testing {

/// tests/unit/config/data: from MGATE_SOURCE_DIR under CTest, else next to this file.
inline std::filesystem::path data_dir() {
  if (const char* root = std::getenv("MGATE_SOURCE_DIR"); root != nullptr && *root != '\0') {
    return std::filesystem::path(root) / "tests/unit/config/data";
  }
  return std::filesystem::path(__FILE__).parent_path() / "data";
}

/// Sets (or, with nullopt, unsets) an environment variable for the scope; restores it after.
class ScopedEnv {
 public:
  ScopedEnv(std::string name, const std::optional<std::string>& value) : name_(std::move(name)) {
    if (const char* old = std::getenv(name_.c_str())) old_ = old;
    if (value) {
      ::setenv(name_.c_str(), value->c_str(), 1);
    } else {
      ::unsetenv(name_.c_str());
    }
  }
  ~ScopedEnv() {
    if (old_) {
      ::setenv(name_.c_str(), old_->c_str(), 1);
    } else {
      ::unsetenv(name_.c_str());
    }
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  std::string name_;
  std::optional<std::string> old_;
};

/// Every diagnostic formatted, one per line, for failure messages.
inline std::string dump(const std::vector<Diagnostic>& diagnostics) {
  std::string out;
  for (const auto& d : diagnostics) out += d.format() + "\n";
  return out;
}

/// Parses text as if it were the file `name` in the fixture directory; the test fails on errors.
inline Loaded parse_ok(const std::string& text, const std::string& name = "inline.yaml") {
  auto result = parse(text, data_dir() / name);
  if (auto* failure = std::get_if<LoadFailure>(&result)) {
    ADD_FAILURE() << "expected the configuration to load, got:\n" << dump(failure->diagnostics);
    return {};
  }
  return std::get<Loaded>(std::move(result));
}

/// Parses text that must fail and returns its diagnostics; the test fails if it loads.
inline std::vector<Diagnostic> parse_errors(const std::string& text,
                                            const std::string& name = "inline.yaml") {
  auto result = parse(text, data_dir() / name);
  if (std::holds_alternative<Loaded>(result)) {
    ADD_FAILURE() << "expected the configuration to fail";
    return {};
  }
  return std::get<LoadFailure>(std::move(result)).diagnostics;
}

/// A minimal valid configuration; `environment` is the body of environments.stage, indented 4.
inline std::string minimal_with(const std::string& environment) {
  return "project: p\n"
         "alembic:\n"
         "  scripts: alembic.ini\n"
         "audit_log: /tmp/audit.jsonl\n"
         "environments:\n"
         "  stage:\n" +
         environment;
}

/// A valid environments.stage body, indented 4 (kube, database, registry), lines 7 to 15.
inline const char* kStageBody =
    "    kube:\n"                              // 7
    "      jobs:\n"                            // 8
    "        selector: component=migration\n"  // 9
    "        name: db-migration-{sha7}\n"      // 10
    "    database:\n"                          // 11
    "      dsn_env: STAGE_DATABASE_URL\n"      // 12
    "    registry:\n"                          // 13
    "      type: ecr\n"                        // 14
    "      repository: udab-server\n";         // 15

}  // namespace mgate::backend::config::testing
