#include "tests/sandbox/scenario.hpp"

#include <algorithm>
#include <fstream>
#include <functional>
#include <map>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "tests/sandbox/sandbox.hpp"
#include "tests/sandbox/scenario_steps.hpp"

namespace mgate::sandbox {
namespace {

namespace fs = std::filesystem;
using backend::ErrorCode;
using backend::make_error;
using Json = nlohmann::json;

// "{A}" -> the sha, "{A7}" -> its first seven characters, for every key of `shas`.
std::string substitute(std::string text, const Json& shas) {
  for (const auto& [key, value] : shas.items()) {
    const std::string sha = value.get<std::string>();
    for (const auto& [pattern, with] :
         {std::pair{"{" + key + "7}", sha.substr(0, 7)}, std::pair{"{" + key + "}", sha}}) {
      for (std::size_t at = text.find(pattern); at != std::string::npos;
           at = text.find(pattern, at + with.size())) {
        text.replace(at, pattern.size(), with);
      }
    }
  }
  return text;
}

Json substitute_all(const Json& node, const Json& shas) {
  if (node.is_string()) return substitute(node.get<std::string>(), shas);
  if (node.is_array()) {
    Json out = Json::array();
    for (const Json& item : node) out.push_back(substitute_all(item, shas));
    return out;
  }
  if (node.is_object()) {
    Json out = Json::object();
    for (const auto& [key, value] : node.items()) out[substitute(key, shas)] = substitute_all(value, shas);
    return out;
  }
  return node;
}

bool is_sha(const Json& value) {
  if (!value.is_string() || value.get<std::string>().size() != 40) return false;
  const std::string s = value.get<std::string>();
  return std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

using StepFn = std::function<Status(const StepContext&, const Json&)>;

const std::map<std::string, StepFn>& step_table() {
  static const std::map<std::string, StepFn> table = {
      {"push", step_push},
      {"retag", step_retag},
      {"psql", step_psql},
      {"alembic", step_alembic},
      {"migration_job", step_migration_job},
      {"scripted_job", step_scripted_job},
      {"deployment", step_deployment},
      {"application", step_application},
  };
  return table;
}

// The repository root, from the example app's alembic.ini (source/tests/sandbox/app/alembic.ini).
fs::path source_dir_of(const Sandbox& sandbox) {
  return sandbox.alembic_ini().parent_path().parent_path().parent_path().parent_path();
}

Status run_step(const StepContext& ctx, const std::string& scenario, std::size_t index, const Json& step) {
  if (!step.is_object() || step.size() != 1 || !step_table().contains(step.begin().key())) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("scenario {}: step {} is not one of push, retag, psql, alembic, "
                                  "migration_job, scripted_job, deployment, application: {}",
                                  scenario, index + 1, step.dump()));
  }
  const std::string kind = step.begin().key();
  Status s = step_table().at(kind)(ctx, step.begin().value());
  if (s) return s;
  backend::Error e = s.error();
  e.message = fmt::format("scenario {}: step {} ({}) failed: {}", scenario, index + 1, kind, e.message);
  return e;
}

}  // namespace

fs::path scenarios_dir(const fs::path& source_dir) { return source_dir / "tests/sandbox/scenarios"; }

std::vector<std::string> scenario_names(const fs::path& source_dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (fs::directory_iterator it(scenarios_dir(source_dir), ec), end; !ec && it != end; it.increment(ec)) {
    if (it->path().extension() == ".json") names.push_back(it->path().stem().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

Result<Json> load_scenario(const fs::path& source_dir, const std::string& name) {
  const std::vector<std::string> known = scenario_names(source_dir);
  if (std::find(known.begin(), known.end(), name) == known.end()) {
    return make_error(ErrorCode::kNotFound, fmt::format("no scenario named '{}'; known: {}", name,
                                                        fmt::join(known, ", ")));
  }
  const fs::path file = scenarios_dir(source_dir) / (name + ".json");
  std::ifstream in(file);
  Json raw = Json::parse(in, nullptr, false);
  if (raw.is_discarded() || !raw.is_object()) {
    return make_error(ErrorCode::kInvalidArgument, fmt::format("{} is not a JSON object", file.string()));
  }
  const Json shas = raw.value("shas", Json::object());
  for (const auto& [key, value] : shas.items()) {
    if (!is_sha(value)) {
      return make_error(ErrorCode::kInvalidArgument,
                        fmt::format("{}: shas.{} is not 40 lower-case hex digits", file.string(), key));
    }
  }
  Json out = substitute_all(raw, shas);
  out["shas"] = shas;
  return out;
}

Status apply_scenario(const Sandbox& sandbox, const std::string& name) {
  auto scenario = load_scenario(source_dir_of(sandbox), name);
  if (!scenario) return scenario.error();
  auto kube = KubeApi::connect(sandbox);
  if (!kube) return kube.error();
  const StepContext ctx{sandbox, (*scenario)["shas"], **kube};
  const Json& steps = (*scenario)["steps"];
  for (std::size_t i = 0; i < steps.size(); ++i) {
    if (auto s = run_step(ctx, name, i, steps[i]); !s) return s;
  }
  return backend::ok_status();
}

}  // namespace mgate::sandbox
