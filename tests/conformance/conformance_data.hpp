#pragma once
// The conformance test's data: the generated script directories and real alembic's answers
// about them, produced once per test run.

#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "backend/core/error.hpp"

namespace mgate::conformance {

/// The generated cases and alembic's answers, in a temp dir removed by the destructor.
struct Oracle {
  std::filesystem::path dir;  ///< the temp dir holding every case
  nlohmann::json manifest;    ///< generate_scripts.py's manifest, plus the sandbox app's case
  nlohmann::json answers;     ///< alembic_oracle.py's output, keyed by case name
  double generate_seconds = 0;
  double oracle_seconds = 0;

  Oracle() = default;
  Oracle(const Oracle&) = delete;
  Oracle& operator=(const Oracle&) = delete;
  ~Oracle();
};

/// Generates the cases into a fresh temp dir (seeded, deterministic), adds the sandbox app's
/// scripts as one more case, and runs the oracle: one /usr/bin/python3 process for all cases.
backend::Result<std::unique_ptr<Oracle>> prepare_oracle();

/// The kind of a lookup / upgrade / stamp error, from its message, as alembic_oracle.py
/// classifies alembic's: "ambiguous", "multiple_heads", "overlap", "not_found", "not_member",
/// "other".
std::string error_kind(std::string_view message);

/// A JSON array of strings as a vector.
std::vector<std::string> strings(const nlohmann::json& array);

/// $MGATE_SOURCE_DIR and $MGATE_BUILD_DIR, set by mgate_add_test.
std::filesystem::path source_dir();
std::filesystem::path build_dir();

/// Runs argv (no shell) and returns its exit code, stdout and stderr.
struct Ran {
  int exit_code = -1;
  std::string out;
  std::string err;
};
backend::Result<Ran> run(const std::vector<std::string>& argv);

}  // namespace mgate::conformance
