#include "tests/integration/kube_kubectl_support.hpp"

#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "tests/sandbox/command.hpp"

namespace mgate::sandbox::testing {

namespace {

// A YAML single-quoted scalar: only ' needs escaping (doubled), so JSON fits unchanged.
std::string yaml_quote(const std::string& s) {
  std::string out = "'";
  for (const char c : s) {
    out += c;
    if (c == '\'') out += '\'';
  }
  return out + "'";
}

std::string labels_block(const std::map<std::string, std::string>& labels, const std::string& indent) {
  if (labels.empty()) return "";
  std::string out = indent + "labels:\n";
  for (const auto& [k, v] : labels) out += fmt::format("{}  {}: {}\n", indent, k, yaml_quote(v));
  return out;
}

}  // namespace

std::string job_yaml(const ScriptedJob& job) {
  const nlohmann::json script = {{"attempts", job.attempts}};
  std::string y = "apiVersion: batch/v1\nkind: Job\nmetadata:\n";
  y += "  name: " + job.name + "\n";
  y += labels_block(job.labels, "  ");
  y += fmt::format("spec:\n  backoffLimit: {}\n  template:\n    metadata:\n", job.backoff_limit);
  y += labels_block(job.labels, "      ");
  y += "      annotations:\n        kubesim.mgate.dev/script: " + yaml_quote(script.dump()) + "\n";
  y += "    spec:\n";
  if (!job.restart_policy.empty()) y += "      restartPolicy: " + job.restart_policy + "\n";
  y += "      containers:\n      - name: main\n";
  y += fmt::format("        image: {}\n", kScriptedImage);
  return y;
}

std::filesystem::path write_job_yaml(const std::filesystem::path& dir, const ScriptedJob& job) {
  const std::filesystem::path path = dir / (job.name + ".yaml");
  std::ofstream(path) << job_yaml(job);
  return path;
}

KubeRun kubectl_env(const Sandbox& sandbox, const std::vector<std::string>& args,
                    const std::filesystem::path& kubeconfig, const EnvVars& extra) {
  // A discovery cache of its own, never the developer's ~/.kube/cache.
  static const std::filesystem::path cache = make_test_dir("kubectl-env-cache");
  Command c;
  c.argv = {"kubectl", "--cache-dir=" + cache.string()};
  c.argv.insert(c.argv.end(), args.begin(), args.end());
  const std::filesystem::path config = kubeconfig.empty() ? sandbox.kube_dir() / "kubeconfig" : kubeconfig;
  EnvVars env = extra;
  env.emplace_back("KUBECONFIG", config.string());
  c.env = sandbox_env(sandbox, env);
  c.timeout = std::chrono::seconds(60);
  auto r = run_command(c);
  if (!r.ok()) return KubeRun{-1, "", r.error().describe()};
  return KubeRun{r->exit_code, r->out, r->err};
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

std::vector<std::string> fields_of(const std::string& line) {
  std::vector<std::string> out;
  std::istringstream in(line);
  for (std::string field; in >> field;) out.push_back(field);
  return out;
}

std::optional<std::vector<std::string>> table_row(const std::string& table, const std::string& name) {
  for (const std::string& line : lines_of(table)) {
    auto fields = fields_of(line);
    if (!fields.empty() && fields[0] == name) return fields;
  }
  return std::nullopt;
}

std::vector<std::string> file_lines(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

std::string describe_run(const std::string& what, const KubeRun& run) {
  return fmt::format("{} exited with {}\nstdout: {}\nstderr: {}", what, run.exit_code, run.out, run.err);
}

}  // namespace mgate::sandbox::testing
