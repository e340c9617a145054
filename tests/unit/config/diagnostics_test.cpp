// Invalid configurations: each mistake gives one diagnostic at the right line:column, with the
// key path and a message that says what was expected.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "backend/config/config.hpp"
#include "backend/core/strings.hpp"
#include "tests/unit/config/config_test_support.hpp"

namespace mgate::backend::config {
namespace {

using testing::dump;
using ::testing::HasSubstr;
using testing::kStageBody;
using testing::minimal_with;
using ::testing::Not;
using testing::parse_errors;

// The single error of a text that must have exactly one.
Diagnostic only_error(const std::string& text) {
  const auto d = parse_errors(text);
  if (d.size() != 1) {
    ADD_FAILURE() << "expected exactly one diagnostic, got:\n" << dump(d);
    return d.empty() ? Diagnostic{} : d.front();
  }
  EXPECT_EQ(d[0].severity, Diagnostic::Severity::kError);
  return d[0];
}

// kStageBody with one line replaced (0-based index into its nine lines).
std::string stage_with_line(std::size_t index, const std::string& line) {
  auto lines = split(kStageBody, '\n');
  lines.at(index) = line;
  return join(lines, "\n");
}

TEST(ConfigDiagnostics, FormatLooksLikeACompilerMessage) {
  Diagnostic d{Diagnostic::Severity::kError, Mark{"c.yaml", 3, 7}, "a.b", "expected x"};
  EXPECT_EQ(d.format(), "c.yaml:3:7: error: a.b: expected x");
  d.severity = Diagnostic::Severity::kWarning;
  EXPECT_EQ(d.format(), "c.yaml:3:7: warning: a.b: expected x");
  d.path.clear();
  EXPECT_EQ(d.format(), "c.yaml:3:7: warning: expected x");
  d.mark.line = 0;
  EXPECT_EQ(d.format(), "c.yaml: warning: expected x");
}

TEST(ConfigDiagnostics, FileNameIsPrintedAsGiven) {
  const auto result = parse("project: [\n", "relative/dir/c.yaml");
  ASSERT_TRUE(std::holds_alternative<LoadFailure>(result));
  EXPECT_EQ(std::get<LoadFailure>(result).diagnostics.at(0).mark.file, "relative/dir/c.yaml");
}

TEST(ConfigDiagnostics, UnknownKeySuggestsTheClosestValidKey) {
  const Diagnostic d = only_error(minimal_with(std::string(kStageBody) + "    protcted: true\n"));  // line 16
  EXPECT_EQ(d.mark.line, 16);
  EXPECT_EQ(d.mark.column, 5);
  EXPECT_EQ(d.path, "environments.stage.protcted");
  EXPECT_EQ(d.message, "unknown key 'protcted'; did you mean 'protected'?");
}

TEST(ConfigDiagnostics, UnknownKeyWithoutACloseMatchListsTheValidKeys) {
  const Diagnostic d = only_error(minimal_with(std::string(kStageBody) + "    colour: blue\n"));
  EXPECT_EQ(d.mark.line, 16);
  EXPECT_EQ(d.message,
            "unknown key 'colour'; expected one of: protected, read_only, kube, "
            "database, registry, deploy");
}

TEST(ConfigDiagnostics, MisspeltRequiredKeyIsOneDiagnosticNotTwo) {
  const Diagnostic d = only_error(
      "projet: p\nalembic:\n  scripts: alembic.ini\n"
      "audit_log: /tmp/a\nenvironments:\n  stage:\n" +
      std::string(kStageBody));
  EXPECT_EQ(d.mark.line, 1);
  EXPECT_EQ(d.mark.column, 1);
  EXPECT_EQ(d.message, "unknown key 'projet'; did you mean 'project'?");
}

TEST(ConfigDiagnostics, MissingRequiredKeyPointsAtTheParentKey) {
  // registry: is on line 13, column 5; its repository line is dropped.
  const Diagnostic d = only_error(minimal_with(stage_with_line(8, "")));
  EXPECT_EQ(d.mark.line, 13);
  EXPECT_EQ(d.mark.column, 5);
  EXPECT_EQ(d.path, "environments.stage.registry");
  EXPECT_EQ(d.message, "missing required key 'repository'");
}

TEST(ConfigDiagnostics, MissingTopLevelKeyPointsAtTheStartOfTheMapping) {
  const Diagnostic d = only_error(
      "# a comment\nproject: p\naudit_log: /tmp/a\nenvironments:\n"
      "  stage:\n" +
      std::string(kStageBody));
  EXPECT_EQ(d.mark.line, 2);
  EXPECT_EQ(d.mark.column, 1);
  EXPECT_EQ(d.path, "");
  EXPECT_EQ(d.message, "missing required key 'alembic'");
  EXPECT_THAT(d.format(), ::testing::EndsWith("inline.yaml:2:1: error: missing required key 'alembic'"));
}

TEST(ConfigDiagnostics, WrongValuesPointAtTheValueAndNameTheExpectedType) {
  const auto all = parse_errors(
      "project: p\nalembic:\n  scripts: alembic.ini\n"
      "refresh_seconds: 0\nenvironments:\n  stage:\n" +
      std::string(kStageBody) + "    protected: maybe\n");
  ASSERT_EQ(all.size(), 2u) << dump(all);
  EXPECT_EQ(all[0].mark.line, 4);
  EXPECT_EQ(all[0].mark.column, 18);
  EXPECT_EQ(all[0].message, "expected an integer from 1 to 3600, got \"0\"");
  EXPECT_EQ(all[1].mark.line, 16);
  EXPECT_EQ(all[1].mark.column, 16);
  EXPECT_EQ(all[1].path, "environments.stage.protected");
  EXPECT_EQ(all[1].message, "expected true or false, got \"maybe\"");
}

TEST(ConfigDiagnostics, EveryErrorIsCollectedAndSortedByPosition) {
  const auto d = parse_errors(
      "environments:\n"                     // 1
      "  stage:\n"                          // 2
      "    kube:\n"                         // 3
      "      jobs:\n"                       // 4
      "        selector: \"tier in (a\"\n"  // 5
      "        name: Migrate-{sha}\n"       // 6
      "    database:\n"                     // 7
      "      dsn_env: 1BAD\n"               // 8
      "    registry:\n"                     // 9
      "      type: oci\n"                   // 10
      "      repository: app\n"             // 11
      "      region: us-east-1\n"           // 12
      "refresh_seconds: 99999\n"            // 13
      "project: [p]\n"                      // 14
      "alembic:\n"                          // 15
      "  scripts: nowhere/alembic.ini\n");  // 16
  std::vector<std::pair<int, int>> where;
  for (const auto& x : d) where.emplace_back(x.mark.line, x.mark.column);
  const std::vector<std::pair<int, int>> expected = {{5, 19}, {6, 15},  {8, 16},  {9, 5},
                                                     {12, 7}, {13, 18}, {14, 10}, {16, 12}};
  EXPECT_EQ(where, expected) << dump(d);
  ASSERT_EQ(d.size(), expected.size());
  EXPECT_THAT(d[0].message, HasSubstr("not a Kubernetes label selector"));
  EXPECT_THAT(d[1].message, HasSubstr("DNS-1123"));
  EXPECT_THAT(d[2].message, HasSubstr("an environment variable name"));
  EXPECT_EQ(d[3].path, "environments.stage.registry");
  EXPECT_EQ(d[3].message, "missing required key 'url'");
  EXPECT_EQ(d[4].message, "'region' applies only to type: ecr; this registry is type: oci");
  EXPECT_EQ(d[5].message, "expected an integer from 1 to 3600, got \"99999\"");
  EXPECT_EQ(d[6].message, "expected a string, got a sequence");
  EXPECT_THAT(d[7].message, HasSubstr("does not exist"));
}

TEST(ConfigDiagnostics, ChoiceNamesTheOptionsAndSuggests) {
  const Diagnostic d = only_error(minimal_with(stage_with_line(7, "      type: ecs")));
  EXPECT_EQ(d.mark.line, 14);
  EXPECT_EQ(d.mark.column, 13);
  EXPECT_EQ(d.message, "expected one of ecr, oci; got \"ecs\"; did you mean 'ecr'?");
  const Diagnostic s =
      only_error(minimal_with(std::string(kStageBody) + "    deploy:\n      update_strategy: newest\n"));
  EXPECT_EQ(s.message,
            "expected one of newest-build, semver, alphabetical, digest (or the alias "
            "latest for newest-build, name for alphabetical); got \"newest\"");
}

TEST(ConfigDiagnostics, DuplicateKeysAreErrors) {
  const auto d = parse_errors(minimal_with(std::string(kStageBody) + "    kube: {}\n"  // 16
                                                                     "  stage:\n"));   // 17
  ASSERT_EQ(d.size(), 2u) << dump(d);
  EXPECT_EQ(d[0].mark.line, 16);
  EXPECT_EQ(d[0].mark.column, 5);
  EXPECT_EQ(d[0].path, "environments.stage.kube");
  EXPECT_EQ(d[0].message, "duplicate key 'kube'; it is first set at line 7, column 5");
  EXPECT_EQ(d[1].mark.line, 17);
  EXPECT_EQ(d[1].mark.column, 3);
  EXPECT_EQ(d[1].message, "duplicate key 'stage'; it is first set at line 6, column 3");
}

TEST(ConfigDiagnostics, PasswordInAUriDsnSaysHowToPassItAndNeverEchoesIt) {
  const Diagnostic d =
      only_error(minimal_with(stage_with_line(5, "      dsn: postgresql://app:s3cr3t-pw@db:5432/app")));
  EXPECT_EQ(d.mark.line, 12);
  EXPECT_EQ(d.mark.column, 12);
  EXPECT_EQ(d.path, "environments.stage.database.dsn");
  EXPECT_THAT(d.message, HasSubstr("dsn_env"));
  EXPECT_THAT(d.message, HasSubstr("service"));
  EXPECT_THAT(d.message, HasSubstr(".pgpass"));
  EXPECT_THAT(d.message, HasSubstr("PGPASSFILE"));
  EXPECT_THAT(d.format(), Not(HasSubstr("s3cr3t-pw")));
}

TEST(ConfigDiagnostics, PasswordInAKeyValueDsnOrQueryIsAnErrorToo) {
  for (const std::string dsn : {"\"host=db user=app password=hunter2-xyz dbname=app\"",
                                "postgresql://app@db/app?sslmode=require&password=hunter2-xyz"}) {
    const Diagnostic d = only_error(minimal_with(stage_with_line(5, "      dsn: " + dsn)));
    EXPECT_EQ(d.mark.line, 12) << dsn;
    EXPECT_THAT(d.message, HasSubstr("~/.pgpass")) << dsn;
    EXPECT_THAT(d.format(), Not(HasSubstr("hunter2"))) << dsn;
  }
}

TEST(ConfigDiagnostics, DatabaseNeedsExactlyOneSource) {
  const Diagnostic none = only_error(minimal_with(stage_with_line(5, "      schema: app")));
  EXPECT_EQ(none.mark.line, 11);
  EXPECT_EQ(none.mark.column, 5);
  EXPECT_EQ(none.message, "expected exactly one of dsn_env, service or dsn; none is set");
  const Diagnostic two =
      only_error(minimal_with(stage_with_line(5, "      dsn_env: STAGE_DATABASE_URL\n      service: stage")));
  EXPECT_EQ(two.mark.line, 13);
  EXPECT_EQ(two.mark.column, 7);
  EXPECT_EQ(two.path, "environments.stage.database.service");
  EXPECT_EQ(two.message,
            "'service' and 'dsn_env' cannot both be set; give exactly one of "
            "dsn_env, service or dsn");
}

TEST(ConfigDiagnostics, EcrKeysOnAnOciRegistryAndOciKeysOnEcr) {
  const Diagnostic d = only_error(minimal_with(std::string(kStageBody) + "      url: https://x.io\n"));
  EXPECT_EQ(d.mark.line, 16);
  EXPECT_EQ(d.mark.column, 7);
  EXPECT_EQ(d.message, "'url' applies only to type: oci; this registry is type: ecr");
  const Diagnostic id =
      only_error(minimal_with(std::string(kStageBody) + "      registry_id: 62016701783\n"));
  EXPECT_EQ(id.message, "expected a 12-digit AWS account id, got \"62016701783\"");
}

TEST(ConfigDiagnostics, JobNamePlaceholdersAndLength) {
  const Diagnostic unknown = only_error(minimal_with(stage_with_line(3, "        name: job-{envv}")));
  EXPECT_EQ(unknown.mark.line, 10);
  EXPECT_EQ(unknown.mark.column, 15);
  EXPECT_EQ(unknown.path, "environments.stage.kube.jobs.name");
  EXPECT_EQ(unknown.message,
            "unknown placeholder '{envv}'; the placeholders are {sha}, {sha7} and "
            "{env}; did you mean '{env}'?");
  const Diagnostic longer =
      only_error(minimal_with(stage_with_line(3, "        name: database-migration-for-{env}-{sha}")));
  EXPECT_THAT(longer.message,
              HasSubstr("becomes \"database-migration-for-stage-0123456789abcdef0123456789abcdef01234567\" "
                        "(69 characters)"));
  // {sha7} keeps the same name short enough.
  testing::parse_ok(minimal_with(stage_with_line(3, "        name: database-migration-for-{env}-{sha7}")));
}

TEST(ConfigDiagnostics, TagPatternsNeedAShaAndMustDiffer) {
  const Diagnostic no_sha =
      only_error(minimal_with(std::string(kStageBody) + "      built_tag: stage-latest\n"));
  EXPECT_EQ(no_sha.mark.line, 16);
  EXPECT_EQ(no_sha.mark.column, 18);
  EXPECT_THAT(no_sha.message, HasSubstr("must contain {sha} or {sha7}"));
  const Diagnostic same = only_error(minimal_with(std::string(kStageBody) + "      built_tag: s-{sha}\n"
                                                                            "      migrated_tag: s-{sha}\n"));
  EXPECT_EQ(same.mark.line, 17);
  EXPECT_EQ(same.path, "environments.stage.registry.migrated_tag");
  EXPECT_THAT(same.message, HasSubstr("must differ from built_tag"));
}

TEST(ConfigDiagnostics, EnvironmentNamesAndEmptyEnvironments) {
  const Diagnostic name = only_error(
      "project: p\nalembic:\n  scripts: alembic.ini\n"
      "audit_log: /tmp/a\nenvironments:\n  Stage_1:\n" +
      std::string(kStageBody));
  EXPECT_EQ(name.mark.line, 6);
  EXPECT_EQ(name.mark.column, 3);
  EXPECT_THAT(name.message, HasSubstr("expected an environment name"));
  const Diagnostic empty =
      only_error("project: p\nalembic:\n  scripts: alembic.ini\naudit_log: /tmp/a\nenvironments: {}\n");
  EXPECT_EQ(empty.mark.line, 5);
  EXPECT_EQ(empty.message, "expected at least one environment");
}

TEST(ConfigDiagnostics, ListWhereAMappingIsExpected) {
  const std::string body = std::string(kStageBody);
  const Diagnostic d =
      only_error(minimal_with("    kube: [a, b]\n" + body.substr(body.find("    database"))));
  EXPECT_EQ(d.mark.line, 7);
  EXPECT_EQ(d.mark.column, 11);
  EXPECT_EQ(d.path, "environments.stage.kube");
  EXPECT_EQ(d.message, "expected a mapping, got a sequence");
}

TEST(ConfigDiagnostics, NullRequiredSectionPointsAtItsKey) {
  const std::string body = std::string(kStageBody);
  const Diagnostic d = only_error(minimal_with("    kube:\n" + body.substr(body.find("    database"))));
  EXPECT_EQ(d.mark.line, 7);
  EXPECT_EQ(d.mark.column, 5);
  EXPECT_EQ(d.message, "expected a mapping, got nothing");
}

TEST(ConfigDiagnostics, SyntaxErrorIsOneDiagnosticWithItsMark) {
  const Diagnostic d = only_error("project: p\nalembic: [a\n");
  EXPECT_GT(d.mark.line, 0);
  EXPECT_THAT(d.message, HasSubstr("YAML syntax error"));
  const Diagnostic tab = only_error("project: p\nalembic:\n\tscripts: x\n");
  EXPECT_EQ(tab.mark.line, 3);
  EXPECT_THAT(tab.message, HasSubstr("tab"));
}

TEST(ConfigDiagnostics, EmptyFileScalarAndSecondDocument) {
  EXPECT_EQ(only_error("").message,
            "expected a mapping with the keys project, alembic and environments at the top level, "
            "got an empty file");
  EXPECT_EQ(only_error("# only a comment\n").mark.line, 1);
  const Diagnostic scalar = only_error("just text\n");
  EXPECT_THAT(scalar.message, HasSubstr("got \"just text\""));
  const auto two = parse_errors(minimal_with(std::string(kStageBody)) + "---\nproject: q\n");
  ASSERT_EQ(two.size(), 1u) << dump(two);
  EXPECT_EQ(two[0].mark.line, 17);
  EXPECT_THAT(two[0].message, HasSubstr("second"));
}

TEST(ConfigDiagnostics, MalformedInputNeverCrashesAndAlwaysExplains) {
  const std::vector<std::string> inputs = {
      "",
      "---",
      "~",
      "[1, 2]",
      "{",
      "}",
      "\t",
      "project:\n  - a",
      "?",
      ": x",
      "*undefined",
      "&a [*a]",
      "project: !!binary AAAA",
      "environments:\n  stage: [1]",
      "environments:\n  stage:\n    kube: 5\n    database: [x]\n    registry: ~",
      "environments:\n  stage:\n    deploy:\n      ignore_tags: [[a], {b: c}, ~, '']",
      "? [complex, key]\n: value",
      "project: p\n" + std::string(500, '['),
      std::string("\x00\x01\xff", 3),
      "project: \"unterminated",
      "a: b: c",
      "environments:\n  - stage",
      "alembic: 7\nenvironments: 8\nproject: {}"};
  for (const auto& text : inputs) {
    const auto result = parse(text, "fuzz.yaml");
    ASSERT_TRUE(std::holds_alternative<LoadFailure>(result)) << text;
    const auto& d = std::get<LoadFailure>(result).diagnostics;
    EXPECT_FALSE(d.empty()) << text;
    for (const auto& x : d) EXPECT_FALSE(x.message.empty()) << text;
  }
}

}  // namespace
}  // namespace mgate::backend::config
