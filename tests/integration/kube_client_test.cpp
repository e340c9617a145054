// backend/kube's connect() and ApiClient against the sandbox's simulated cluster, once per way
// of authenticating: token, client certificate, exec plugins (v1beta1, v1), and the EKS
// kubeconfig, whose `aws eks get-token` stanza mgate answers itself (the simulator checks the
// token's signature and replays it to moto's STS). A CA the server's certificate does not
// chain to is refused.

#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <sstream>

#include "backend/kube/connection.hpp"
#include "tests/integration/shared_sandbox.hpp"
#include "tests/sandbox/kubesim/pki.hpp"

namespace mgate::backend::kube {
namespace {

namespace fs = std::filesystem;
using sandbox::testing::shared_sandbox;

Result<KubeConnection> connect_with(const fs::path& kubeconfig) {
  config::KubeConfig settings;
  settings.kubeconfig = kubeconfig;
  return connect(settings, KubeconfigSources::from_process(std::nullopt), InClusterSources{});
}

std::vector<std::string> namespace_names(KubeConnection& c) {
  std::vector<std::string> names;
  auto list = c.client->list(ResourceRef{"", "v1", "namespaces", false}, "");
  EXPECT_TRUE(list.ok()) << (list.ok() ? "" : list.error().describe());
  if (!list) return names;
  for (const auto& ns : list->items) names.push_back(ns["metadata"]["name"]);
  return names;
}

class KubeClient : public ::testing::TestWithParam<std::pair<const char*, const char*>> {};

TEST_P(KubeClient, EveryAuthModeListsNamespaces) {
  auto sb = shared_sandbox();
  ASSERT_TRUE(sb.ok()) << sb.error().describe();
  const auto [file, auth] = GetParam();
  auto c = connect_with((*sb)->kube_dir() / file);
  ASSERT_TRUE(c.ok()) << c.error().describe();
  EXPECT_EQ(c->auth.substr(0, std::string(auth).size()), auth);
  EXPECT_EQ(c->ns, "udab") << "the context's namespace";
  const auto names = namespace_names(*c);
  EXPECT_NE(std::find(names.begin(), names.end(), "udab"), names.end());
  EXPECT_NE(std::find(names.begin(), names.end(), "udab-prod"), names.end());
}

INSTANTIATE_TEST_SUITE_P(
    Modes, KubeClient,
    ::testing::Values(std::pair{"kubeconfig", "token"}, std::pair{"kubeconfig-cert", "client certificate"},
                      std::pair{"kubeconfig-exec", "exec plugin"}, std::pair{"kubeconfig-exec-v1", "exec plugin"},
                      std::pair{"kubeconfig-eks", "EKS token (cluster sandbox)"}));

TEST(KubeClientRefusals, AReadOnlyTokenIsForbiddenElsewhereAndAWrongCaIsRefused) {
  auto sb = shared_sandbox();
  ASSERT_TRUE(sb.ok()) << sb.error().describe();
  auto viewer = connect_with((*sb)->kube_dir() / "kubeconfig-stage-viewer");
  ASSERT_TRUE(viewer.ok()) << viewer.error().describe();
  auto denied = viewer->client->list(kJobs, "udab-prod");
  ASSERT_FALSE(denied.ok());
  EXPECT_EQ(denied.error().code, ErrorCode::kPermissionDenied);
  EXPECT_NE(denied.error().message.find("User \"stage-viewer\" cannot list resource \"jobs\""), std::string::npos)
      << denied.error().message;

  // The same kubeconfig trusting another CA.
  const fs::path dir = sandbox::testing::make_test_dir("kube-client-ca");
  mgate::kubesim::write_self_signed_ca(dir / "other.crt", dir / "other.key", "other-ca");
  std::ifstream in((*sb)->kube_dir() / "kubeconfig");
  std::stringstream text;
  text << in.rdbuf();
  const std::string replaced = std::regex_replace(
      text.str(), std::regex("certificate-authority-data: .*"),
      "certificate-authority: \"" + (dir / "other.crt").string() + "\"");
  std::ofstream(dir / "kubeconfig") << replaced;
  auto wrong = connect_with(dir / "kubeconfig");
  ASSERT_TRUE(wrong.ok()) << wrong.error().describe();
  auto refused = wrong->client->list(kJobs, "udab");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::kUnavailable) << refused.error().describe();
}

}  // namespace
}  // namespace mgate::backend::kube
