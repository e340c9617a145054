#include "tests/conformance/conformance_data.hpp"

#include <fmt/format.h>
#include <stdlib.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <system_error>

#include "tests/sandbox/command.hpp"

namespace mgate::conformance {
namespace fs = std::filesystem;
using backend::ErrorCode;
using backend::make_error;

namespace {

constexpr const char* kPython = "/usr/bin/python3";

std::string env_or_empty(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? std::string() : std::string(v);
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// The sandbox app's scripts (a linear part, a labelled branch, a merge) with the version-table
// states the integration tests put a database in.
nlohmann::json sandbox_case() {
  const std::string ini = (source_dir() / "tests/sandbox/app/alembic.ini").string();
  const std::string users = "3f2a9c1d7b4e", assignments = "b7d3f5a19c20", points = "0a7f4d3e6c58",
                    notify = "d2c6a8e1f3b9", merge = "e4b1f9a7c3d2";
  nlohmann::json upgrade = {nlohmann::json::array(), {users}, {assignments},    {points},      {notify},
                            {notify, points},        {merge}, {"deadbeefcafe"}, {users, merge}};
  nlohmann::json lookup = {"head",
                           "heads",
                           "base",
                           "notifications",
                           "notifications@head",
                           "notifications@heads",
                           "notifications@d2c6",
                           "notifications@0a7f",
                           "e4b1",
                           "b7d3f5a19c20",
                           "5e9b2",
                           "abc"};
  nlohmann::json stamp = nlohmann::json::array();
  auto add = [&stamp](nlohmann::json rows, nlohmann::json targets) {
    stamp.push_back({{"rows", std::move(rows)}, {"targets", std::move(targets)}});
  };
  add(nlohmann::json::array(), {"heads"});
  add({merge}, {assignments});
  add({notify, points}, {merge});
  add({assignments}, {"notifications@head"});
  add({notify}, {points});
  add({points}, {"base"});
  add({merge}, {"deadbeefcafe"});
  add({"deadbeefcafe"}, {merge});
  return {{"name", "sandbox_app"},
          {"scripts", ini},
          {"alembic_ini", ini},
          {"queries", {{"upgrade", upgrade}, {"lookup", lookup}, {"stamp", stamp}}}};
}

backend::Result<nlohmann::json> read_json(const fs::path& file) {
  std::ifstream in(file);
  if (!in) return make_error(ErrorCode::kIo, "cannot read " + file.string());
  try {
    return nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    return make_error(ErrorCode::kProtocol, fmt::format("{} is not JSON: {}", file.string(), e.what()));
  }
}

}  // namespace

fs::path source_dir() {
  return env_or_empty("MGATE_SOURCE_DIR");
}
fs::path build_dir() {
  return env_or_empty("MGATE_BUILD_DIR");
}

Oracle::~Oracle() {
  std::error_code ec;
  if (!dir.empty()) fs::remove_all(dir, ec);
}

backend::Result<Ran> run(const std::vector<std::string>& argv) {
  sandbox::Command command;
  command.argv = argv;
  command.timeout = std::chrono::seconds(90);
  auto result = sandbox::run_command(command);
  if (!result) return result.error();
  return Ran{result->exit_code, std::move(result->out), std::move(result->err)};
}

backend::Result<std::unique_ptr<Oracle>> prepare_oracle() {
  auto oracle = std::make_unique<Oracle>();
  std::string pattern = (fs::temp_directory_path() / "mgate-conformance-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) return make_error(ErrorCode::kIo, "mkdtemp failed");
  oracle->dir = pattern;
  const fs::path here = source_dir() / "tests/conformance";

  auto start = std::chrono::steady_clock::now();
  // MGATE_CONFORMANCE_SEED explores other seeds; the default seed is the one CI runs.
  std::vector<std::string> argv = {kPython, (here / "generate_scripts.py").string(),
                                   (oracle->dir / "cases").string()};
  if (const std::string seed = env_or_empty("MGATE_CONFORMANCE_SEED"); !seed.empty()) {
    argv.insert(argv.end(), {"--seed", seed});
  }
  auto generated = run(argv);
  if (!generated) return generated.error();
  if (generated->exit_code != 0)
    return make_error(ErrorCode::kInternal, "generate_scripts.py failed", generated->err);
  oracle->generate_seconds = seconds_since(start);

  auto manifest = read_json(oracle->dir / "cases/manifest.json");
  if (!manifest) return manifest.error();
  (*manifest)["cases"].push_back(sandbox_case());
  oracle->manifest = std::move(*manifest);
  const fs::path manifest_file = oracle->dir / "manifest.json";
  std::ofstream(manifest_file) << oracle->manifest.dump(1);

  start = std::chrono::steady_clock::now();
  auto answered = run({kPython, (here / "alembic_oracle.py").string(), manifest_file.string()});
  if (!answered) return answered.error();
  if (answered->exit_code != 0)
    return make_error(ErrorCode::kInternal, "alembic_oracle.py failed", answered->err);
  oracle->oracle_seconds = seconds_since(start);
  try {
    oracle->answers = nlohmann::json::parse(answered->out);
  } catch (const nlohmann::json::exception& e) {
    return make_error(ErrorCode::kProtocol, std::string("the oracle printed no JSON: ") + e.what());
  }
  return oracle;
}

std::string error_kind(std::string_view m) {
  auto has = [m](std::string_view s) { return m.find(s) != std::string_view::npos; };
  if (has("Multiple revisions start with")) return "ambiguous";
  if (has("Multiple head")) return "multiple_heads";
  if (has("overlaps with other requested")) return "overlap";
  if (has("Can't locate revision") || has("No such revision") || has("No such branch")) return "not_found";
  if (has("is not a member of branch")) return "not_member";
  return "other";
}

std::vector<std::string> strings(const nlohmann::json& array) {
  std::vector<std::string> out;
  for (const auto& v : array) out.push_back(v.get<std::string>());
  return out;
}

}  // namespace mgate::conformance
