// Kubeconfig errors: each names the file, line and column, and what was wrong, as a person
// fixing the file needs it.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "backend/kube/kubeconfig.hpp"
#include "tests/unit/kube/kubeconfig_support.hpp"

namespace mgate::backend::kube {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using namespace kubeconfig_testing;

TEST(KubeconfigErrors, UnknownContextNamesFilesAndKnownContexts) {
  TempDir dir;
  const auto a = dir.write("a.yaml", kFileA);
  const auto b = dir.write("b.yaml", kFileB);
  auto k = load_kubeconfig(with_kubeconfig_env(a.string() + ":" + b.string()));
  ASSERT_TRUE(k.ok());
  auto rc = resolve(*k, "prod", std::nullopt);
  ASSERT_FALSE(rc.ok());
  EXPECT_EQ(rc.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(rc.error().message, "context \"prod\" (asked for) is not a context in kubeconfig " + a.string() + ":" +
                                    b.string() + "; known contexts: b-ctx, shared-ctx");
}

TEST(KubeconfigErrors, CurrentContextNamingNothingGivesItsLine) {
  const auto e = resolve_error("contexts: []\ncurrent-context: gone\n");
  EXPECT_EQ(e.code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(e.message,
            "current-context \"gone\" (/k/config:2:18) is not a context in kubeconfig /k/config; known contexts: none");
  EXPECT_EQ(resolve_error("clusters: []\n").message,
            "kubeconfig /k/config sets no current-context and none was asked for; known contexts: none");
}

TEST(KubeconfigErrors, ContextNamingAMissingClusterOrUser) {
  constexpr const char* kText = R"(clusters:
- name: c
  cluster: {server: https://x}
contexts:
- name: no-cluster
  context: {cluster: ghost, user: u}
- name: no-user
  context: {cluster: c, user: ghost}
)";
  EXPECT_EQ(resolve_error(kText, "no-cluster").message,
            "kubeconfig /k/config:5:3: context \"no-cluster\" names cluster \"ghost\", which is not in kubeconfig "
            "/k/config; known clusters: c");
  EXPECT_EQ(resolve_error(kText, "no-user").message,
            "kubeconfig /k/config:7:3: context \"no-user\" names user \"ghost\", which is not in kubeconfig "
            "/k/config; known users: none");
  EXPECT_EQ(resolve_error("clusters:\n- name: c\n  cluster: {}\ncontexts:\n- {name: x, context: {cluster: c}}\n", "x")
                .message,
            "kubeconfig /k/config:2:3: cluster \"c\" has no server");
}

TEST(KubeconfigErrors, BasicAuthAndAuthProviderAreUnsupported) {
  constexpr const char* kText = R"(clusters:
- {name: c, cluster: {server: https://x}}
users:
- name: basic
  user:
    username: admin
    password: hunter2
- name: gcp
  user:
    auth-provider: {name: gcp}
contexts:
- {name: b, context: {cluster: c, user: basic}}
- {name: g, context: {cluster: c, user: gcp}}
)";
  const auto basic = resolve_error(kText, "b");
  EXPECT_EQ(basic.code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(basic.message,
            "kubeconfig /k/config:6:15: user \"basic\": username authentication is not supported by mgate; use a "
            "token, tokenFile, client certificate or exec plugin");
  EXPECT_THAT(basic.describe(), ::testing::Not(HasSubstr("hunter2")));
  EXPECT_THAT(resolve_error(kText, "g").message,
              HasSubstr("kubeconfig /k/config:10:20: user \"gcp\": auth-provider authentication is not supported"));
}

TEST(KubeconfigErrors, MalformedFilesNameFileLineColumn) {
  EXPECT_EQ(load_error("clusters:\n- name: c\n  cluster:\n    server: [unclosed\n").message.substr(0, 31),
            "kubeconfig /k/config:5:1: not v");
  EXPECT_EQ(load_error("clusters: {a: 1}\n").message, "kubeconfig /k/config:1:11: clusters: expected a list");
  EXPECT_EQ(load_error("clusters:\n- name: c\n  cluster:\n    insecure-skip-tls-verify: maybe\n").message,
            "kubeconfig /k/config:4:31: clusters[0].cluster.insecure-skip-tls-verify: expected true or false, got "
            "\"maybe\"");
  EXPECT_EQ(load_error("clusters:\n- name: c\n  cluster:\n    certificate-authority-data: \"%%%\"\n").message,
            "kubeconfig /k/config:4:33: clusters[0].cluster.certificate-authority-data: not valid base64");
  EXPECT_EQ(load_error("users:\n- name: u\n  user: {}\n- name: u\n  user: {}\n").message,
            "kubeconfig /k/config:4:3: users[1]: duplicate user name \"u\"");
  EXPECT_EQ(load_error("contexts:\n- context: {}\n").message, "kubeconfig /k/config:2:3: contexts[0]: the entry has no name");
  EXPECT_EQ(load_error("users:\n- name: u\n  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1\n"
                       "      command: p\n")
                .message,
            "kubeconfig /k/config:5:7: users[0].user.exec: interactiveMode must be given for apiVersion "
            "client.authentication.k8s.io/v1");
  EXPECT_EQ(load_error("users:\n- name: u\n  user:\n    exec: {command: p, apiVersion: v, interactiveMode: Sometimes}\n")
                .message,
            "kubeconfig /k/config:4:56: users[0].user.exec.interactiveMode: expected Never, IfAvailable or Always, "
            "got \"Sometimes\"");
  EXPECT_EQ(load_error("- just a list\n").message, "kubeconfig /k/config:1:1: expected a mapping at the top level");
}

TEST(KubeconfigErrors, ExecWithoutCommandOrApiVersion) {
  constexpr const char* kText = R"(clusters: [{name: c, cluster: {server: https://x}}]
users:
- name: nocmd
  user:
    exec: {apiVersion: client.authentication.k8s.io/v1beta1}
- name: noapi
  user:
    exec: {command: plugin}
contexts:
- {name: a, context: {cluster: c, user: nocmd}}
- {name: b, context: {cluster: c, user: noapi}}
)";
  EXPECT_EQ(resolve_error(kText, "a").message, "kubeconfig /k/config:5:11: user \"nocmd\": exec has no command");
  EXPECT_EQ(resolve_error(kText, "b").message, "kubeconfig /k/config:8:11: user \"noapi\": exec has no apiVersion");
}

TEST(KubeconfigErrors, LoadThroughTheListNamesTheFaultyFile) {
  TempDir dir;
  const auto good = dir.write("good", kFileA);
  const auto bad = dir.write("bad", "current-context: x\nclusters: nope\n");
  auto k = load_kubeconfig(with_kubeconfig_env(good.string() + ":" + bad.string()));
  ASSERT_FALSE(k.ok());
  EXPECT_EQ(k.error().message, "kubeconfig " + bad.string() + ":2:11: clusters: expected a list");
}

}  // namespace
}  // namespace mgate::backend::kube
