#include "tests/sandbox/kubesim/pod_env.hpp"

#include <map>

#include <gtest/gtest.h>

#include "tests/sandbox/kubesim/resources.hpp"

namespace mgate::kubesim {
namespace {

// An in-memory Secret / ConfigMap source.
struct FakeObjects {
  std::map<std::string, Json> objects;  // "resource/ns/name"
  void add(const std::string& resource, const std::string& name, Json data) {
    objects[resource + "/default/" + name] = {{"metadata", {{"name", name}}}, {"data", data}};
  }
  ObjectLookup lookup() const {
    return [this](const std::string& r, const std::string& ns,
                  const std::string& n) -> std::optional<Json> {
      const auto it = objects.find(r + "/" + ns + "/" + n);
      if (it == objects.end()) return std::nullopt;
      return it->second;
    };
  }
};

Json test_pod() {
  return {{"metadata",
           {{"name", "migrate-x7k2p"},
            {"namespace", "default"},
            {"uid", "0b5e8c39-8f4c-4d8e-9f55-9c1a3e7d2b10"},
            {"labels", {{"app", "udab"}}},
            {"annotations", {{"team", "db"}}}}},
          {"spec", {{"nodeName", "kubesim-node"}, {"serviceAccountName", "migrator"}}}};
}

EnvSources sources(const FakeObjects& objects) {
  EnvSources s;
  s.base_env = {{"PATH", "/usr/bin:/bin"}, {"HOME", "/root"},
                {"KUBERNETES_SERVICE_HOST", "127.0.0.1"}};
  s.image_env = {{"PATH", "/app/bin:/usr/bin"}, {"LANG", "C.UTF-8"}};
  s.host_ip = "127.0.0.1";
  s.pod_ip = "10.244.0.7";
  s.lookup = objects.lookup();
  return s;
}

TEST(PodEnv, LayersImageHostnameEnvFromAndEnvInPrecedenceOrder) {
  FakeObjects objects;
  objects.add(kConfigMaps, "cfg", {{"MODE", "cm"}, {"LANG", "en_US"}});
  objects.add(kSecrets, "creds", {{"TOKEN", "czNjcmV0"}, {"MODE", "c2VjcmV0"}});  // s3cret, secret
  const Json container = {
      {"name", "migrate"},
      {"envFrom", {{{"configMapRef", {{"name", "cfg"}}}},
                   {{"secretRef", {{"name", "creds"}}}, {"prefix", "DB_"}}}},
      {"env", {{{"name", "MODE"}, {"value", "env"}}, {{"name", "HOSTNAME"}, {"value", "custom"}}}}};
  const ContainerEnv env = resolve_container_env(test_pod(), container, sources(objects));
  const EnvList expected = {{"PATH", "/app/bin:/usr/bin"}, {"HOME", "/root"},
                            {"KUBERNETES_SERVICE_HOST", "127.0.0.1"},
                            {"LANG", "en_US"},  // envFrom beats the image
                            {"HOSTNAME", "custom"},
                            {"MODE", "env"},  // env beats envFrom
                            {"DB_MODE", "secret"}, {"DB_TOKEN", "s3cret"}};
  EXPECT_EQ(env.env, expected);
  EXPECT_TRUE(env.warnings.empty());
}

TEST(PodEnv, HostnameIsThePodName) {
  FakeObjects objects;
  const ContainerEnv env = resolve_container_env(test_pod(), {{"name", "c"}}, sources(objects));
  const EnvList expected = {{"PATH", "/app/bin:/usr/bin"}, {"HOME", "/root"},
                            {"KUBERNETES_SERVICE_HOST", "127.0.0.1"}, {"LANG", "C.UTF-8"},
                            {"HOSTNAME", "migrate-x7k2p"}};
  EXPECT_EQ(env.env, expected);
}

TEST(PodEnv, ExpandsEarlierVariablesAndServiceVariablesOnly) {
  FakeObjects objects;
  const Json container = {
      {"name", "c"},
      {"env",
       {{{"name", "LATE_REF"}, {"value", "$(A)"}},
        {{"name", "A"}, {"value", "x"}},
        {{"name", "B"}, {"value", "$(A)-$(MISSING)-$$(A)-$$-$"}},
        {{"name", "HOST"}, {"value", "https://$(KUBERNETES_SERVICE_HOST):443"}},
        {{"name", "IMG"}, {"value", "$(LANG)"}},
        {{"name", "OPEN"}, {"value", "$(A"}},
        {{"name", "EMPTY"}, {"value", ""}}}}};
  const ContainerEnv env = resolve_container_env(test_pod(), container, sources(objects));
  const std::map<std::string, std::string> got(env.env.begin(), env.env.end());
  EXPECT_EQ(got.at("LATE_REF"), "$(A)");  // A was not defined yet
  EXPECT_EQ(got.at("B"), "x-$(MISSING)-$(A)-$-$");
  EXPECT_EQ(got.at("HOST"), "https://127.0.0.1:443");
  EXPECT_EQ(got.at("IMG"), "$(LANG)");  // the image's ENV is not the kubelet's to expand
  EXPECT_EQ(got.at("OPEN"), "$(A");
  EXPECT_EQ(got.at("EMPTY"), "");
  const EnvList expansion = {{"PATH", "/usr/bin:/bin"}, {"HOME", "/root"},
                             {"KUBERNETES_SERVICE_HOST", "127.0.0.1"}, {"LATE_REF", "$(A)"},
                             {"A", "x"}, {"B", "x-$(MISSING)-$(A)-$-$"},
                             {"HOST", "https://127.0.0.1:443"}, {"IMG", "$(LANG)"},
                             {"OPEN", "$(A"}, {"EMPTY", ""}};
  EXPECT_EQ(env.expansion_env, expansion);
}

TEST(PodEnv, KeyRefsAndOptionalSources) {
  FakeObjects objects;
  objects.add(kSecrets, "db", {{"password", "aHVudGVyMg=="}});  // hunter2
  objects.add(kConfigMaps, "cfg", {{"url", "postgres://db"}});
  const Json container = {
      {"name", "c"},
      {"envFrom", {{{"secretRef", {{"name", "nope"}, {"optional", true}}}}}},
      {"env",
       {{{"name", "PASSWORD"}, {"valueFrom", {{"secretKeyRef", {{"name", "db"}, {"key", "password"}}}}}},
        {{"name", "URL"}, {"valueFrom", {{"configMapKeyRef", {{"name", "cfg"}, {"key", "url"}}}}}},
        {{"name", "GONE"},
         {"valueFrom", {{"secretKeyRef", {{"name", "nope"}, {"key", "k"}, {"optional", true}}}}}},
        {{"name", "NOKEY"},
         {"valueFrom",
          {{"configMapKeyRef", {{"name", "cfg"}, {"key", "missing"}, {"optional", true}}}}}}}}};
  const ContainerEnv env = resolve_container_env(test_pod(), container, sources(objects));
  const std::map<std::string, std::string> got(env.env.begin(), env.env.end());
  EXPECT_EQ(got.at("PASSWORD"), "hunter2");
  EXPECT_EQ(got.at("URL"), "postgres://db");
  EXPECT_EQ(got.count("GONE"), 0u);  // an optional source that is missing sets nothing
  EXPECT_EQ(got.count("NOKEY"), 0u);
}

std::string config_error(const Json& container, const FakeObjects& objects) {
  try {
    resolve_container_env(test_pod(), container, sources(objects));
  } catch (const EnvConfigError& e) {
    return e.what();
  }
  return "no error";
}

TEST(PodEnv, MissingSourcesGiveTheKubeletsMessages) {
  FakeObjects objects;
  objects.add(kSecrets, "db", {{"user", "dQ=="}});
  objects.add(kConfigMaps, "cfg", {{"a", "b"}});
  auto key_ref = [](const char* kind, const char* name, const char* key) {
    return Json{{"name", "c"},
                {"env", {{{"name", "X"}, {"valueFrom", {{kind, {{"name", name}, {"key", key}}}}}}}}};
  };
  EXPECT_EQ(config_error(key_ref("secretKeyRef", "absent", "k"), objects),
            "secret \"absent\" not found");
  EXPECT_EQ(config_error(key_ref("configMapKeyRef", "absent", "k"), objects),
            "configmap \"absent\" not found");
  EXPECT_EQ(config_error(key_ref("secretKeyRef", "db", "password"), objects),
            "couldn't find key password in Secret default/db");
  EXPECT_EQ(config_error(key_ref("configMapKeyRef", "cfg", "z"), objects),
            "couldn't find key z in ConfigMap default/cfg");
  EXPECT_EQ(config_error({{"name", "c"}, {"envFrom", {{{"secretRef", {{"name", "absent"}}}}}}},
                         objects),
            "secret \"absent\" not found");
  EXPECT_EQ(config_error({{"name", "c"}, {"envFrom", {{{"configMapRef", {{"name", "absent"}}}}}}},
                         objects),
            "configmap \"absent\" not found");
}

TEST(PodEnv, FieldRefsReadTheDownwardApi) {
  FakeObjects objects;
  Json env_list = Json::array();
  const std::vector<std::pair<std::string, std::string>> fields = {
      {"NAME", "metadata.name"},       {"NS", "metadata.namespace"},
      {"UID", "metadata.uid"},         {"APP", "metadata.labels['app']"},
      {"TEAM", "metadata.annotations['team']"},
      {"NOLABEL", "metadata.labels['none']"},
      {"NODE", "spec.nodeName"},       {"SA", "spec.serviceAccountName"},
      {"HOSTIP", "status.hostIP"},     {"PODIP", "status.podIP"}};
  for (const auto& [name, path] : fields) {
    env_list.push_back({{"name", name}, {"valueFrom", {{"fieldRef", {{"fieldPath", path}}}}}});
  }
  const ContainerEnv env =
      resolve_container_env(test_pod(), {{"name", "c"}, {"env", env_list}}, sources(objects));
  const std::map<std::string, std::string> got(env.env.begin(), env.env.end());
  EXPECT_EQ(got.at("NAME"), "migrate-x7k2p");
  EXPECT_EQ(got.at("NS"), "default");
  EXPECT_EQ(got.at("UID"), "0b5e8c39-8f4c-4d8e-9f55-9c1a3e7d2b10");
  EXPECT_EQ(got.at("APP"), "udab");
  EXPECT_EQ(got.at("TEAM"), "db");
  EXPECT_EQ(got.at("NOLABEL"), "");
  EXPECT_EQ(got.at("NODE"), "kubesim-node");
  EXPECT_EQ(got.at("SA"), "migrator");
  EXPECT_EQ(got.at("HOSTIP"), "127.0.0.1");
  EXPECT_EQ(got.at("PODIP"), "10.244.0.7");
}

TEST(PodEnv, InvalidEnvFromKeysAreSkippedWithTheKubeletsWarning) {
  FakeObjects objects;
  objects.add(kConfigMaps, "cfg", {{"1BAD", "x"}, {"GOOD", "y"}, {"has space", "z"}});
  const Json container = {{"name", "c"}, {"envFrom", {{{"configMapRef", {{"name", "cfg"}}}}}}};
  const ContainerEnv env = resolve_container_env(test_pod(), container, sources(objects));
  const std::map<std::string, std::string> got(env.env.begin(), env.env.end());
  EXPECT_EQ(got.count("1BAD"), 0u);
  EXPECT_EQ(got.at("GOOD"), "y");
  ASSERT_EQ(env.warnings.size(), 1u);
  EXPECT_EQ(env.warnings[0],
            "Keys [1BAD, has space] from the EnvFrom configMap default/cfg were skipped since "
            "they are considered invalid environment variable names.");
}

TEST(PodEnv, ExpandArgsUsesTheGivenVariables) {
  const EnvList env = {{"DB", "udab"}, {"N", "3"}};
  const std::vector<std::string> got =
      expand_args({"migrate", "--db=$(DB)", "$(N)x", "$(NOPE)", "$$(DB)"}, env);
  const std::vector<std::string> want = {"migrate", "--db=udab", "3x", "$(NOPE)", "$(DB)"};
  EXPECT_EQ(got, want);
}

TEST(PodEnv, DecodesBase64) {
  EXPECT_EQ(decode_base64("aHVudGVyMg=="), "hunter2");
  EXPECT_EQ(decode_base64("YWJj"), "abc");
  EXPECT_EQ(decode_base64(""), "");
  EXPECT_THROW(decode_base64("a*b="), EnvConfigError);
}

}  // namespace
}  // namespace mgate::kubesim
