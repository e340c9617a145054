#pragma once
// Seeded scenarios: a sandbox put into a known state across PostgreSQL, moto and the simulated
// cluster by the same tools a team would use (aws, psql, alembic, the Kubernetes API), so mgate
// and its tests see real state, not fixtures.
//
//   auto sandbox = Sandbox::start();
//   apply_scenario(**sandbox, "migration-failed");   // tests/sandbox/scenarios/migration-failed.json
//
// Each scenario is a JSON file with a description, fixed shas, declarative steps and an
// "expect" block describing the state it leaves (see tests/sandbox/scenarios/README.md).

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "backend/core/error.hpp"

namespace mgate::sandbox {

class Sandbox;

using backend::Result;
using backend::Status;

/// The scenarios' folder under the repository root: tests/sandbox/scenarios.
std::filesystem::path scenarios_dir(const std::filesystem::path& source_dir);

/// The scenario names (the JSON files' stems), sorted; empty when the folder is missing.
std::vector<std::string> scenario_names(const std::filesystem::path& source_dir);

/// A scenario's file, parsed, with every "{X}" / "{X7}" placeholder replaced by the full /
/// seven-character sha named X in its "shas" (in keys and values alike).
Result<nlohmann::json> load_scenario(const std::filesystem::path& source_dir, const std::string& name);

/// Runs the scenario's steps, in order, against the sandbox (its services must all run).
/// An unknown name is kNotFound listing the known ones; a failing step is an error naming the
/// scenario, the step's index and kind, and the tool's stderr tail.
Status apply_scenario(const Sandbox& sandbox, const std::string& name);

}  // namespace mgate::sandbox
