#include "tests/integration/kube_support.hpp"

#include "tests/sandbox/command.hpp"

namespace mgate::sandbox::testing {

KubeRun kubectl(const Sandbox& sandbox, const std::vector<std::string>& args,
                const std::filesystem::path& kubeconfig) {
  // One discovery cache per test binary, never the developer's ~/.kube/cache.
  static const std::filesystem::path cache = make_test_dir("kubectl-cache");
  Command c;
  c.argv = {"kubectl", "--cache-dir=" + cache.string()};
  c.argv.insert(c.argv.end(), args.begin(), args.end());
  const std::filesystem::path config =
      kubeconfig.empty() ? sandbox.kube_dir() / "kubeconfig" : kubeconfig;
  c.env = sandbox_env(sandbox, {{"KUBECONFIG", config.string()}});
  c.timeout = std::chrono::seconds(60);
  auto r = run_command(c);
  if (!r.ok()) return KubeRun{-1, "", r.error().describe()};
  return KubeRun{r->exit_code, r->out, r->err};
}

}  // namespace mgate::sandbox::testing
