#pragma once
// What the integration_kube tests share: kubectl and python runs against the shared sandbox's
// simulated cluster.

#include <filesystem>
#include <string>
#include <vector>

#include "tests/integration/shared_sandbox.hpp"

namespace mgate::sandbox::testing {

/// A finished command: exit code and output.
struct KubeRun {
  int exit_code = -1;
  std::string out;
  std::string err;
};

/// Runs kubectl with the sandbox's environment and the given kubeconfig (default: the admin
/// token one, kube_dir/kubeconfig).
KubeRun kubectl(const Sandbox& sandbox, const std::vector<std::string>& args,
                const std::filesystem::path& kubeconfig = {});

}  // namespace mgate::sandbox::testing
