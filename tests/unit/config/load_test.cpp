// Valid configurations: every field as written, defaults filled, paths resolved, aliases
// normalised, warnings that do not stop loading.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "backend/config/config.hpp"
#include "tests/unit/config/config_test_support.hpp"

namespace mgate::backend::config {
namespace {

using testing::data_dir;
using testing::dump;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::kStageBody;
using testing::minimal_with;
using testing::parse_errors;
using testing::parse_ok;
using testing::ScopedEnv;

namespace fs = std::filesystem;

Loaded load_full() {
  auto result = load(data_dir() / "full.yaml");
  if (auto* failure = std::get_if<LoadFailure>(&result)) {
    ADD_FAILURE() << dump(failure->diagnostics);
    return {};
  }
  return std::get<Loaded>(std::move(result));
}

TEST(ConfigLoad, FullConfigTopLevelAsWritten) {
  const ScopedEnv home("HOME", "/home/tester");
  const Loaded loaded = load_full();
  const Config& c = loaded.config;
  const fs::path dir = data_dir().lexically_normal();
  EXPECT_TRUE(loaded.warnings.empty()) << dump(loaded.warnings);
  EXPECT_EQ(c.source, (dir / "full.yaml"));
  EXPECT_EQ(c.project, "udab-server");
  EXPECT_EQ(c.alembic.scripts, dir / "alembic.ini");
  // "git: ." is the directory itself, without a trailing separator.
  EXPECT_EQ(c.alembic.git, std::optional<fs::path>(dir));
  EXPECT_EQ(c.audit_log, dir / "state/audit.jsonl");
  EXPECT_EQ(c.refresh_seconds, 7);
  EXPECT_FALSE(c.read_only);
  ASSERT_EQ(c.environments.size(), 2u);
  EXPECT_EQ(c.environments[0].name, "stage");
  EXPECT_EQ(c.environments[1].name, "prod");
}

TEST(ConfigLoad, FullConfigEcrEnvironmentAsWritten) {
  const ScopedEnv home("HOME", "/home/tester");
  const Config c = load_full().config;
  const fs::path dir = data_dir().lexically_normal();
  const Environment* stage = c.find("stage");
  ASSERT_NE(stage, nullptr);
  EXPECT_FALSE(stage->protected_);
  EXPECT_TRUE(stage->read_only);
  EXPECT_EQ(stage->kube.kubeconfig, std::optional<fs::path>(dir / "kube/config"));
  EXPECT_EQ(stage->kube.context, "stage-eks");
  EXPECT_EQ(stage->kube.namespace_, "udab");
  EXPECT_EQ(stage->kube.jobs.selector, "component=migration,app in (udab, udab-server)");
  EXPECT_EQ(stage->kube.jobs.name, "db-migration-{sha7}");
  EXPECT_FALSE(stage->kube.jobs.static_name());
  EXPECT_EQ(stage->kube.jobs.template_file, std::optional<fs::path>(dir / "migration-job.yaml"));
  EXPECT_EQ(stage->database.dsn_env, "MGATE_TEST_STAGE_DATABASE_URL");
  EXPECT_EQ(stage->database.service, std::nullopt);
  EXPECT_EQ(stage->database.dsn, std::nullopt);
  EXPECT_EQ(stage->database.version_table, "alembic_version");
  EXPECT_EQ(stage->database.schema, "app");
  EXPECT_EQ(stage->database.connect_timeout_seconds, 9);
  const RegistryConfig& r = stage->registry;
  EXPECT_EQ(r.type, RegistryConfig::Type::kEcr);
  EXPECT_EQ(r.repository, "udab-server");
  EXPECT_EQ(r.built_tag, "stage-{sha}");
  EXPECT_EQ(r.migrated_tag, "stage-migrated-{sha}");
  EXPECT_EQ(r.endpoint, "http://127.0.0.1:5000");
  EXPECT_EQ(r.region, "us-east-1");
  EXPECT_EQ(r.registry_id, "620167017830");  // an unquoted number, read as its text
  EXPECT_EQ(r.profile, "stage");
  EXPECT_EQ(r.url, std::nullopt);
  ASSERT_TRUE(stage->deploy.has_value());
  EXPECT_EQ(stage->deploy->deployment, "udab-server");
  EXPECT_EQ(stage->deploy->container, "app");
  EXPECT_EQ(stage->deploy->argocd_application, "udab-server-stage");
  EXPECT_EQ(stage->deploy->argocd_namespace, "argocd");
  EXPECT_EQ(stage->deploy->allow_tags, "regexp:^stage-migrated-");
  EXPECT_THAT(stage->deploy->ignore_tags, ElementsAre("*-rc*", "*-debug"));
  EXPECT_EQ(stage->deploy->update_strategy, "newest-build");  // written as the alias "latest"
}

TEST(ConfigLoad, FullConfigOciEnvironmentWithStaticNameAndDefaults) {
  const ScopedEnv home("HOME", "/home/tester");
  const Config c = load_full().config;
  const Environment* prod = c.find("prod");
  ASSERT_NE(prod, nullptr);
  EXPECT_TRUE(prod->protected_);
  EXPECT_FALSE(prod->read_only);
  EXPECT_EQ(prod->kube.kubeconfig, std::nullopt);
  EXPECT_EQ(prod->kube.context, std::nullopt);
  EXPECT_EQ(prod->kube.namespace_, std::nullopt);
  EXPECT_EQ(prod->kube.jobs.name, "chores-tracker-migration");
  EXPECT_TRUE(prod->kube.jobs.static_name());
  EXPECT_EQ(prod->kube.jobs.template_file, std::nullopt);
  EXPECT_EQ(prod->database.service, "prod");
  EXPECT_EQ(prod->database.version_table, "alembic_version");
  EXPECT_EQ(prod->database.schema, "public");
  EXPECT_EQ(prod->database.connect_timeout_seconds, 5);
  EXPECT_EQ(prod->registry.type, RegistryConfig::Type::kOci);
  EXPECT_EQ(prod->registry.repository, "team/chores-tracker");
  EXPECT_EQ(prod->registry.built_tag, "prod-{sha}");
  EXPECT_EQ(prod->registry.migrated_tag, "prod-migrated-{sha}");
  EXPECT_EQ(prod->registry.url, "https://ghcr.io");
  EXPECT_EQ(prod->registry.docker_config, std::optional<fs::path>("/home/tester/.docker/config.json"));
  EXPECT_EQ(prod->registry.region, std::nullopt);
  EXPECT_FALSE(prod->deploy.has_value());
  EXPECT_EQ(c.find("qa"), nullptr);
}

TEST(ConfigLoad, NamingHelpersSubstitutePlaceholders) {
  const Config c = load_full().config;
  const std::string sha = "5d41402abc4b2a76b9719d911017c592ae1e4b0f";
  const Environment& stage = *c.find("stage");
  EXPECT_EQ(stage.kube.jobs.job_name(sha, "stage"), "db-migration-5d41402");
  EXPECT_EQ(stage.registry.built_tag_for(sha, "stage"), "stage-" + sha);
  EXPECT_EQ(stage.registry.migrated_tag_for(sha, "stage"), "stage-migrated-" + sha);
  EXPECT_EQ(c.find("prod")->kube.jobs.job_name(sha, "prod"), "chores-tracker-migration");
}

TEST(ConfigLoad, DefaultsFilledForAMinimalConfig) {
  const ScopedEnv state("XDG_STATE_HOME", "/var/state");
  const Loaded loaded = parse_ok("project: p\nalembic:\n  scripts: alembic.ini\nenvironments:\n  qa-2:\n" +
                                 std::string(kStageBody));
  const Config& c = loaded.config;
  EXPECT_EQ(c.audit_log, fs::path("/var/state/mgate/audit.jsonl"));
  EXPECT_EQ(c.refresh_seconds, 5);
  EXPECT_FALSE(c.read_only);
  EXPECT_EQ(c.alembic.git, std::nullopt);
  ASSERT_EQ(c.environments.size(), 1u);
  const Environment& e = c.environments[0];
  EXPECT_EQ(e.name, "qa-2");
  EXPECT_FALSE(e.protected_);
  EXPECT_EQ(e.registry.built_tag, "qa-2-{sha}");
  EXPECT_EQ(e.registry.migrated_tag, "qa-2-migrated-{sha}");
}

TEST(ConfigLoad, AuditLogDefaultFallsBackToHomeWhenXdgStateHomeIsUnsetOrRelative) {
  const ScopedEnv home("HOME", "/home/tester");
  {
    const ScopedEnv state("XDG_STATE_HOME", std::nullopt);
    const Config c = parse_ok(
                         "project: p\nalembic:\n  scripts: alembic.ini\nenvironments:\n"
                         "  stage:\n" +
                         std::string(kStageBody))
                         .config;
    EXPECT_EQ(c.audit_log, fs::path("/home/tester/.local/state/mgate/audit.jsonl"));
  }
  const ScopedEnv state("XDG_STATE_HOME", "relative/state");
  const Config c = parse_ok(
                       "project: p\nalembic:\n  scripts: alembic.ini\nenvironments:\n"
                       "  stage:\n" +
                       std::string(kStageBody))
                       .config;
  EXPECT_EQ(c.audit_log, fs::path("/home/tester/.local/state/mgate/audit.jsonl"));
}

TEST(ConfigLoad, RelativePathsResolveAgainstTheFilesDirectory) {
  const ScopedEnv home("HOME", "/home/tester");
  const std::string text =
      "project: p\nalembic:\n  scripts: ../data/./alembic.ini\n  git: ../../config/data/\n"
      "audit_log: ~/logs/../audit.jsonl\n"
      "environments:\n  stage:\n" +
      std::string(kStageBody);
  const Config c = parse_ok(text).config;
  const fs::path dir = data_dir().lexically_normal();
  EXPECT_EQ(c.alembic.scripts, dir / "alembic.ini");
  EXPECT_EQ(c.alembic.git, std::optional<fs::path>(dir));
  EXPECT_EQ(c.audit_log, fs::path("/home/tester/audit.jsonl"));
  EXPECT_TRUE(c.alembic.scripts.is_absolute());
}

TEST(ConfigLoad, AbsolutePathsStayAndAreNormalised) {
  const fs::path ini = (data_dir() / "alembic.ini").lexically_normal();
  const Config c = parse_ok("project: p\nalembic:\n  scripts: " + ini.parent_path().string() +
                            "/./alembic.ini\naudit_log: /var//log/../log/mgate.jsonl\n"
                            "environments:\n  stage:\n" +
                            std::string(kStageBody))
                       .config;
  EXPECT_EQ(c.alembic.scripts, ini);
  EXPECT_EQ(c.audit_log, fs::path("/var/log/mgate.jsonl"));
}

TEST(ConfigLoad, ScriptsMayBeADirectory) {
  const Config c = parse_ok(
                       "project: p\nalembic:\n  scripts: .\naudit_log: /tmp/a\n"
                       "environments:\n  stage:\n" +
                       std::string(kStageBody))
                       .config;
  EXPECT_EQ(c.alembic.scripts, data_dir().lexically_normal());
}

TEST(ConfigLoad, UpdateStrategyAliasesAreNormalised) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"latest", "newest-build"}, {"name", "alphabetical"}, {"newest-build", "newest-build"},
      {"semver", "semver"},       {"digest", "digest"},     {"alphabetical", "alphabetical"}};
  for (const auto& [written, canonical] : cases) {
    const Config c = parse_ok(minimal_with(std::string(kStageBody) +
                                           "    deploy:\n      update_strategy: " + written + "\n"))
                         .config;
    ASSERT_EQ(c.environments.size(), 1u);
    ASSERT_TRUE(c.environments[0].deploy.has_value());
    EXPECT_EQ(c.environments[0].deploy->update_strategy, canonical) << written;
  }
}

TEST(ConfigLoad, InvalidRe2IsAWarningAndTheConfigStillLoads) {
  const Loaded loaded =
      parse_ok(minimal_with(std::string(kStageBody) + "    deploy:\n"                               // 16
                                                      "      allow_tags: \"regexp:^stage-(\"\n"));  // 17
  ASSERT_EQ(loaded.warnings.size(), 1u);
  const Diagnostic& w = loaded.warnings[0];
  EXPECT_EQ(w.severity, Diagnostic::Severity::kWarning);
  EXPECT_EQ(w.mark.line, 17);
  EXPECT_EQ(w.mark.column, 19);
  EXPECT_EQ(w.path, "environments.stage.deploy.allow_tags");
  EXPECT_THAT(w.message, HasSubstr("matching nothing"));
  EXPECT_THAT(w.format(), HasSubstr("inline.yaml:17:19: warning: environments.stage.deploy.allow_tags: "
                                    "the regexp does not compile ("));
  ASSERT_TRUE(loaded.config.environments.at(0).deploy.has_value());
  EXPECT_EQ(loaded.config.environments[0].deploy->allow_tags, "regexp:^stage-(");
}

TEST(ConfigLoad, AllowTagsAnyAndSingleIgnoreTagString) {
  const Config c = parse_ok(minimal_with(std::string(kStageBody) + "    deploy:\n      allow_tags: any\n"
                                                                   "      ignore_tags: \"*-rc*\"\n"))
                       .config;
  const DeployConfig& d = *c.environments.at(0).deploy;
  EXPECT_EQ(d.allow_tags, "any");
  EXPECT_THAT(d.ignore_tags, ElementsAre("*-rc*"));
  EXPECT_EQ(d.update_strategy, "newest-build");
}

TEST(ConfigLoad, NullOptionalValuesMeanNotSet) {
  const Config c = parse_ok(minimal_with(std::string(kStageBody) + "    deploy:\n    protected: ~\n")).config;
  EXPECT_FALSE(c.environments.at(0).deploy.has_value());
  EXPECT_FALSE(c.environments.at(0).protected_);
}

TEST(ConfigLoad, DsnWithoutPasswordIsAccepted) {
  const std::string body = std::string(kStageBody);
  const std::string with_dsn = body.substr(0, body.find("      dsn_env")) +
                               "      dsn: postgresql://app@db:5432/app\n" +
                               body.substr(body.find("    registry"));
  const Config c = parse_ok(minimal_with(with_dsn)).config;
  EXPECT_EQ(c.environments.at(0).database.dsn, "postgresql://app@db:5432/app");
  EXPECT_EQ(c.environments.at(0).database.dsn_env, std::nullopt);
}

TEST(ConfigLoad, LoadReportsAMissingFileAtLineZero) {
  const auto result = load(data_dir() / "no-such.yaml");
  ASSERT_TRUE(std::holds_alternative<LoadFailure>(result));
  const auto& d = std::get<LoadFailure>(result).diagnostics;
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].mark.line, 0);
  EXPECT_EQ(d[0].format(),
            (data_dir() / "no-such.yaml").string() + ": error: cannot read the configuration: no such file");
}

TEST(ConfigLoad, LoadReportsADirectory) {
  const auto result = load(data_dir());
  ASSERT_TRUE(std::holds_alternative<LoadFailure>(result));
  EXPECT_THAT(std::get<LoadFailure>(result).diagnostics.at(0).message, HasSubstr("directory"));
}

TEST(ConfigLoad, ThreeMistakesFixtureGivesItsThreeDiagnostics) {
  const fs::path file = data_dir() / "three-mistakes.yaml";
  const auto result = load(file);
  ASSERT_TRUE(std::holds_alternative<LoadFailure>(result));
  const auto& d = std::get<LoadFailure>(result).diagnostics;
  ASSERT_EQ(d.size(), 3u) << dump(d);
  const std::string f = file.string();
  EXPECT_EQ(d[0].format(),
            f + ":9:18: error: refresh_seconds: expected an integer from 1 to 3600, got \"five\"");
  EXPECT_EQ(d[1].format(), f + ":15:7: error: environments.stage.kube.namespce: unknown key "
                               "'namespce'; did you mean 'namespace'?");
  EXPECT_EQ(d[2].format(), f + ":23:13: error: environments.stage.registry.type: expected one of "
                               "ecr, oci; got \"ecs\"; did you mean 'ecr'?");
}

}  // namespace
}  // namespace mgate::backend::config
