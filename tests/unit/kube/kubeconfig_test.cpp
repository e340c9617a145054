// Kubeconfig loading, merging, resolution and in-cluster config; kubectl judges the merge.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <thread>

#include <nlohmann/json.hpp>

#include "backend/kube/kubeconfig.hpp"
#include "tests/unit/kube/kubeconfig_support.hpp"
#include "tests/sandbox/kubesim/kubeconfig_writer.hpp"

namespace mgate::backend::kube {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using namespace kubeconfig_testing;

TEST(KubeconfigLoad, MergesAListFirstFileWinsAndSkipsMissingAndEmptyEntries) {
  TempDir dir;
  const auto a = dir.write("a.yaml", kFileA);
  const auto b = dir.write("b.yaml", kFileB);
  const auto c = dir.write("c.yaml", kFileC);
  const auto missing = dir.path() / "missing.yaml";
  auto k = load_kubeconfig(with_kubeconfig_env(a.string() + ":" + missing.string() + "::" + b.string() + ":" +
                                               c.string() + ":" + a.string()));
  ASSERT_TRUE(k.ok()) << k.error().describe();
  EXPECT_THAT(k->files, ElementsAre(a, b, c));  // missing skipped, duplicate a read once
  EXPECT_EQ(k->clusters.at("shared").server, "https://a.example:6443");
  EXPECT_EQ(k->clusters.at("shared").mark, (KubeconfigMark{a, 4, 3}));
  EXPECT_EQ(k->clusters.at("only-b").server, "https://only-b.example");
  EXPECT_EQ(k->users.at("shared-user").token->reveal(), "token-from-a");
  EXPECT_EQ(k->contexts.at("shared-ctx").cluster, "shared");  // a's whole entry, not a field mix
  EXPECT_EQ(k->contexts.at("shared-ctx").namespace_, "ns-a");
  EXPECT_EQ(k->current_context, "b-ctx");  // a sets none; b is the first that does
  EXPECT_EQ(k->current_context_mark, (KubeconfigMark{b, 27, 18}));

  auto rc = resolve(*k, std::nullopt, std::nullopt);
  ASSERT_TRUE(rc.ok()) << rc.error().describe();
  EXPECT_EQ(rc->context, "b-ctx");
  EXPECT_EQ(rc->server, "https://a.example:6443");  // b-ctx's cluster "shared" is a's
  EXPECT_EQ(rc->namespace_, "ns-b");
  EXPECT_EQ(rc->user, "b-user");
  EXPECT_EQ(token_of(*rc), "token-b-user");
}

TEST(KubeconfigLoad, CurrentContextComesFromTheFirstFileThatSetsIt) {
  TempDir dir;
  const auto b = dir.write("b.yaml", kFileB);
  const auto c = dir.write("c.yaml", kFileC);
  auto k = load_kubeconfig(with_kubeconfig_env(c.string() + ":" + b.string()));
  ASSERT_TRUE(k.ok()) << k.error().describe();
  EXPECT_EQ(k->current_context, "shared-ctx");
  EXPECT_EQ(k->current_context_mark, (KubeconfigMark{c, 1, 18}));
}

TEST(KubeconfigLoad, ExplicitPathBeatsKubeconfigEnvWhichBeatsHome) {
  TempDir dir;
  const auto a = dir.write("a.yaml", kFileA);
  const auto b = dir.write("b.yaml", kFileB);
  const auto home_cfg = dir.write("home/.kube/config", kFileC);
  KubeconfigSources s;
  s.getenv = env_of({{"KUBECONFIG", b.string()}});
  s.home = dir.path() / "home";
  s.explicit_path = a;
  auto k = load_kubeconfig(s);
  ASSERT_TRUE(k.ok());
  EXPECT_THAT(k->files, ElementsAre(a));
  s.explicit_path.reset();
  k = load_kubeconfig(s);
  ASSERT_TRUE(k.ok());
  EXPECT_THAT(k->files, ElementsAre(b));
  s.getenv = env_of({{"KUBECONFIG", ""}});  // set but empty: as unset
  k = load_kubeconfig(s);
  ASSERT_TRUE(k.ok());
  EXPECT_THAT(k->files, ElementsAre(home_cfg));
}

TEST(KubeconfigLoad, MissingFilesAreNotFound) {
  TempDir dir;
  KubeconfigSources s;
  s.explicit_path = dir.path() / "nope";
  auto k = load_kubeconfig(s);
  ASSERT_FALSE(k.ok());
  EXPECT_EQ(k.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(k.error().message, "kubeconfig " + (dir.path() / "nope").string() + " does not exist");
  k = load_kubeconfig(with_kubeconfig_env((dir.path() / "x").string() + ":" + (dir.path() / "y").string()));
  ASSERT_FALSE(k.ok());
  EXPECT_EQ(k.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(k.error().message, "no kubeconfig found (looked at: " + (dir.path() / "x").string() + ", " +
                                   (dir.path() / "y").string() + ")");
}

TEST(KubeconfigLoad, RelativePathsResolveAgainstTheirOwnFile) {
  TempDir dir;
  const auto file = dir.write("sub/config", R"(clusters:
- name: c
  cluster:
    server: https://x
    certificate-authority: ca.crt
users:
- name: u
  user:
    client-certificate: certs/client.crt
    client-key: ../client.key
    tokenFile: /abs/token
- name: e1
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      command: ./bin/plugin
- name: e2
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      command: aws
- name: t
  user:
    tokenFile: tok
)");
  auto k = load_kubeconfig(with_kubeconfig_env(file.string()));
  ASSERT_TRUE(k.ok()) << k.error().describe();
  const fs::path sub = dir.path() / "sub";
  EXPECT_EQ(k->clusters.at("c").certificate_authority, sub / "ca.crt");
  EXPECT_EQ(k->users.at("u").client_certificate, sub / "certs/client.crt");
  EXPECT_EQ(k->users.at("u").client_key, sub / "../client.key");
  EXPECT_EQ(k->users.at("u").token_file, fs::path("/abs/token"));
  EXPECT_EQ(k->users.at("t").token_file, sub / "tok");
  EXPECT_EQ(k->users.at("e1").exec->command, (sub / "./bin/plugin").string());
  EXPECT_EQ(k->users.at("e2").exec->command, "aws");  // a PATH lookup stays one
}

TEST(KubeconfigResolve, EveryClusterAndUserField) {
  auto k = parse_kubeconfig(R"(clusters:
- name: c
  cluster:
    server: https://api.example:443/prefix
    certificate-authority: /etc/ca.pem
    insecure-skip-tls-verify: true
    tls-server-name: kubernetes.internal
    proxy-url: http://proxy:3128
- name: d
  cluster:
    server: https://d
    certificate-authority: /etc/ignored.pem
    certificate-authority-data: Q0EtUEVN
users:
- name: files
  user:
    client-certificate: /c.crt
    client-key: /c.key
    token: tok-123
- name: data
  user:
    client-certificate-data: Q0VSVA==
    client-key-data: S0VZ
contexts:
- name: one
  context: {cluster: c, user: files, namespace: team}
- name: two
  context: {cluster: d, user: data}
current-context: one
)", "/k/config");
  ASSERT_TRUE(k.ok()) << k.error().describe();
  auto one = resolve(*k, std::nullopt, std::nullopt);
  ASSERT_TRUE(one.ok()) << one.error().describe();
  EXPECT_EQ(one->server, "https://api.example:443/prefix");
  EXPECT_EQ(one->tls.ca_file, fs::path("/etc/ca.pem"));
  EXPECT_FALSE(one->tls.ca_pem);
  EXPECT_TRUE(one->tls.insecure_skip_verify);
  EXPECT_EQ(one->tls.server_name, "kubernetes.internal");
  EXPECT_EQ(one->proxy_url, "http://proxy:3128");
  EXPECT_EQ(one->tls.client_cert_file, fs::path("/c.crt"));
  EXPECT_EQ(one->tls.client_key_file, fs::path("/c.key"));
  EXPECT_EQ(std::get<Secret>(one->auth).reveal(), "tok-123");
  EXPECT_EQ(one->namespace_, "team");

  auto two = resolve(*k, "two", std::nullopt);
  ASSERT_TRUE(two.ok()) << two.error().describe();
  EXPECT_EQ(two->tls.ca_pem, "CA-PEM");  // data wins over the file
  EXPECT_FALSE(two->tls.ca_file);
  EXPECT_FALSE(two->tls.insecure_skip_verify);
  EXPECT_FALSE(two->tls.server_name);
  EXPECT_FALSE(two->proxy_url);
  EXPECT_EQ(two->tls.client_cert_pem, "CERT");
  EXPECT_EQ(two->tls.client_key_pem->reveal(), "KEY");
  EXPECT_TRUE(std::holds_alternative<std::monostate>(two->auth));
  EXPECT_EQ(two->namespace_, "default");

  auto over = resolve(*k, "one", "override-ns");
  ASSERT_TRUE(over.ok());
  EXPECT_EQ(over->namespace_, "override-ns");
}

TEST(KubeconfigResolve, ExecStanzaIsParsedNotRun) {
  auto k = parse_kubeconfig(R"(clusters:
- name: c
  cluster: {server: https://x}
users:
- name: u
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: /usr/bin/plugin
      args: [get-token, --cluster, c1]
      env:
      - name: AWS_PROFILE
        value: prod
      - name: EMPTY
      installHint: install the plugin
      provideClusterInfo: true
      interactiveMode: Never
- name: beta
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      command: plugin
contexts:
- {name: x, context: {cluster: c, user: u}}
- {name: b, context: {cluster: c, user: beta}}
)", "/k/config");
  ASSERT_TRUE(k.ok()) << k.error().describe();
  auto rc = resolve(*k, "x", std::nullopt);
  ASSERT_TRUE(rc.ok()) << rc.error().describe();
  const auto& e = std::get<ExecConfig>(rc->auth);
  EXPECT_EQ(e.api_version, "client.authentication.k8s.io/v1");
  EXPECT_EQ(e.command, "/usr/bin/plugin");
  EXPECT_THAT(e.args, ElementsAre("get-token", "--cluster", "c1"));
  EXPECT_THAT(e.env, ElementsAre(ExecEnvVar{"AWS_PROFILE", "prod"}, ExecEnvVar{"EMPTY", ""}));
  EXPECT_EQ(e.install_hint, "install the plugin");
  EXPECT_TRUE(e.provide_cluster_info);
  EXPECT_EQ(e.interactive_mode, ExecInteractiveMode::kNever);
  EXPECT_EQ(e.mark, (KubeconfigMark{"/k/config", 8, 7}));

  auto beta = resolve(*k, "b", std::nullopt);
  ASSERT_TRUE(beta.ok());
  const auto& eb = std::get<ExecConfig>(beta->auth);
  EXPECT_EQ(eb.interactive_mode, ExecInteractiveMode::kIfAvailable);  // v1beta1's default
  EXPECT_FALSE(eb.provide_cluster_info);
  EXPECT_TRUE(eb.args.empty());
}

TEST(TokenFileTest, RereadsWhenTheFileChanges) {
  TempDir dir;
  const auto path = dir.write("token", "  first-token\n");
  TokenFile tf(path);
  auto t = tf.current();
  ASSERT_TRUE(t.ok()) << t.error().describe();
  EXPECT_EQ(t->reveal(), "first-token");
  dir.write("token", "second-token-longer\n");
  // Make the change visible even on a file system with coarse timestamps.
  fs::last_write_time(path, fs::last_write_time(path) + std::chrono::seconds(2));
  t = tf.current();
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->reveal(), "second-token-longer");
  dir.write("token", "\n");
  fs::last_write_time(path, fs::last_write_time(path) + std::chrono::seconds(4));
  t = tf.current();
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.error().code, ErrorCode::kUnauthenticated);
  fs::remove(path);
  t = tf.current();
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.error().code, ErrorCode::kIo);
  EXPECT_EQ(t.error().message, "token file " + path.string() + " cannot be read");
}

TEST(KubeconfigResolve, TokenFileIsPreferredOverToken) {
  TempDir dir;
  dir.write("tok", "from-file\n");
  const auto file = dir.write("config", R"(clusters: [{name: c, cluster: {server: https://x}}]
users: [{name: u, user: {token: inline, tokenFile: tok}}]
contexts: [{name: x, context: {cluster: c, user: u}}]
current-context: x
)");
  auto k = load_kubeconfig(with_kubeconfig_env(file.string()));
  ASSERT_TRUE(k.ok());
  auto rc = resolve(*k, std::nullopt, std::nullopt);
  ASSERT_TRUE(rc.ok());
  ASSERT_TRUE(std::holds_alternative<std::shared_ptr<TokenFile>>(rc->auth));
  EXPECT_EQ(std::get<std::shared_ptr<TokenFile>>(rc->auth)->path(), dir.path() / "tok");
  EXPECT_EQ(token_of(*rc), "from-file");
}

TEST(InCluster, ReadsTheServiceAccount) {
  TempDir dir;
  dir.write("token", "sa-token\n");
  dir.write("ca.crt", "CA");
  dir.write("namespace", "jobs-ns\n");
  InClusterSources s;
  s.service_account_dir = dir.path();
  s.getenv = env_of({{"KUBERNETES_SERVICE_HOST", "10.0.0.1"}, {"KUBERNETES_SERVICE_PORT", "443"}});
  auto rc = in_cluster_config(s);
  ASSERT_TRUE(rc.ok()) << rc.error().describe();
  EXPECT_EQ(rc->server, "https://10.0.0.1:443");
  EXPECT_EQ(rc->tls.ca_file, dir.path() / "ca.crt");
  EXPECT_FALSE(rc->tls.insecure_skip_verify);
  EXPECT_EQ(rc->namespace_, "jobs-ns");
  EXPECT_EQ(token_of(*rc), "sa-token");
  EXPECT_EQ(in_cluster_config(s, "other")->namespace_, "other");

  s.getenv = env_of({{"KUBERNETES_SERVICE_HOST", "fd00::1"}, {"KUBERNETES_SERVICE_PORT", "6443"},
                     {"POD_NAMESPACE", "from-env"}});
  rc = in_cluster_config(s);
  ASSERT_TRUE(rc.ok());
  EXPECT_EQ(rc->server, "https://[fd00::1]:6443");
  EXPECT_EQ(rc->namespace_, "from-env");

  fs::remove(dir.path() / "namespace");
  s.getenv = env_of({{"KUBERNETES_SERVICE_HOST", "h"}, {"KUBERNETES_SERVICE_PORT", "1"}});
  EXPECT_EQ(in_cluster_config(s)->namespace_, "default");
}

TEST(InCluster, NotInAClusterOrNoToken) {
  TempDir dir;
  InClusterSources s;
  s.service_account_dir = dir.path();
  s.getenv = env_of({{"KUBERNETES_SERVICE_HOST", "10.0.0.1"}});
  auto rc = in_cluster_config(s);
  ASSERT_FALSE(rc.ok());
  EXPECT_EQ(rc.error().code, ErrorCode::kNotFound);
  s.getenv = env_of({{"KUBERNETES_SERVICE_HOST", "10.0.0.1"}, {"KUBERNETES_SERVICE_PORT", "443"}});
  rc = in_cluster_config(s);
  ASSERT_FALSE(rc.ok());
  EXPECT_EQ(rc.error().code, ErrorCode::kIo);
  EXPECT_EQ(rc.error().message, "token file " + (dir.path() / "token").string() + " cannot be read");
}

// kubectl's view of the same list, with KUBECONFIG set for the child only.
nlohmann::json kubectl_minify(const std::string& list, const std::string& context) {
  std::string cmd = "env KUBECONFIG='" + list + "' HOME=/nonexistent kubectl config view --minify --raw -o json";
  if (!context.empty()) cmd += " --context '" + context + "'";
  cmd += " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) throw std::runtime_error("popen failed");
  std::string out;
  char buf[4096];
  for (std::size_t n; (n = fread(buf, 1, sizeof buf, p)) > 0;) out.append(buf, n);
  const int status = pclose(p);
  if (status != 0) throw std::runtime_error("kubectl failed: " + out);
  return nlohmann::json::parse(out);
}

TEST(KubeconfigKubectl, ResolvedContextMatchesKubectlConfigView) {
  TempDir dir;
  dir.write("ca.pem", "-----BEGIN CERTIFICATE-----\nnot really\n-----END CERTIFICATE-----\n");
  kubesim::KubeconfigParams params;
  params.server = "https://127.0.0.1:7443";
  params.ca_cert = dir.path() / "ca.pem";
  params.cluster_name = "sim-cluster";
  params.context_name = "sim";
  params.ns = "sim-ns";
  const auto sim = dir.write("sim.yaml", kubesim::token_kubeconfig(params, "sim-token"));
  const auto a = dir.write("a.yaml", kFileA);
  const auto b = dir.write("b.yaml", kFileB);
  const auto c = dir.write("c.yaml", kFileC);
  const std::string list = a.string() + ":" + (dir.path() / "missing").string() + ":" + c.string() + ":" +
                           sim.string() + ":" + b.string();
  auto k = load_kubeconfig(with_kubeconfig_env(list));
  ASSERT_TRUE(k.ok()) << k.error().describe();

  for (const std::string ctx : {"", "sim", "b-ctx", "shared-ctx"}) {
    SCOPED_TRACE("context " + ctx);
    auto rc = resolve(*k, ctx.empty() ? std::nullopt : std::optional(ctx), std::nullopt);
    ASSERT_TRUE(rc.ok()) << rc.error().describe();
    const auto view = kubectl_minify(list, ctx);
    EXPECT_EQ(view.at("current-context").get<std::string>(), rc->context);
    const auto& kctx = view.at("contexts").at(0).at("context");
    EXPECT_EQ(kctx.value("namespace", std::string("default")), rc->namespace_);
    EXPECT_EQ(kctx.at("user").get<std::string>(), rc->user);
    EXPECT_EQ(view.at("clusters").at(0).at("cluster").at("server").get<std::string>(), rc->server);
    EXPECT_EQ(view.at("users").at(0).at("user").at("token").get<std::string>(), token_of(*rc));
  }
  // The list's current-context is c's; the sim file's CA arrives decoded.
  EXPECT_EQ(resolve(*k, "sim", std::nullopt)->server, "https://127.0.0.1:7443");
  EXPECT_EQ(resolve(*k, "sim", std::nullopt)->tls.ca_pem,
            "-----BEGIN CERTIFICATE-----\nnot really\n-----END CERTIFICATE-----\n");
  EXPECT_EQ(resolve(*k, std::nullopt, std::nullopt)->context, "shared-ctx");
}

}  // namespace
}  // namespace mgate::backend::kube
