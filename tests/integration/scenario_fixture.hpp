#pragma once
// A test that needs one seeded scenario (tests/sandbox/scenarios) gets a sandbox of its own: a
// scenario changes the stage environment, which the binary's shared sandbox also serves.

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "tests/integration/shared_sandbox.hpp"
#include "tests/sandbox/scenario.hpp"

namespace mgate::sandbox::testing {

/// Starts a fresh sandbox and applies a scenario; keeps the scenario file (placeholders filled).
class ScenarioTest : public ::testing::Test {
 protected:
  /// Starts the sandbox and applies `name`; fails the test (fatally) when either fails.
  void apply(const std::string& name) {
    auto started = Sandbox::start();
    ASSERT_TRUE(started.ok()) << started.error().describe();
    sandbox_ = std::move(*started);
    auto loaded = load_scenario(MGATE_SANDBOX_SOURCE_DIR, name);
    ASSERT_TRUE(loaded.ok()) << loaded.error().describe();
    scenario_ = *loaded;
    const Status applied = apply_scenario(*sandbox_, name);
    ASSERT_TRUE(applied.ok()) << applied.error().describe();
  }

  /// The 40-hex sha the scenario names `key` ("A", "B", ...).
  std::string sha(const std::string& key) const { return scenario_["shas"][key].get<std::string>(); }

  std::unique_ptr<Sandbox> sandbox_;
  nlohmann::json scenario_;
};

}  // namespace mgate::sandbox::testing
