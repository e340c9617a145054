// Reading revision files without Python: every assignment and literal form alembic scripts use.

#include <gtest/gtest.h>

#include <string>

#include "backend/alembic/script_parser.hpp"

namespace mgate::backend::alembic {
namespace {

using Strings = std::vector<std::string>;

Script parse_ok(const std::string& text, const std::string& name = "/v/x.py") {
  auto parsed = parse_script(text, name);
  EXPECT_TRUE(parsed.script.has_value())
      << (parsed.diagnostics.empty() ? "" : parsed.diagnostics.front().format());
  return parsed.script.value_or(Script{});
}

TEST(ScriptParser, PlainAssignmentsAndTheDocstring) {
  const auto s = parse_ok(
      "\"\"\"add points to chores\n\nRevision ID: 0a7f4d3e6c58\nRevises: b7d3f5a19c20\n"
      "Create Date: 2024-04-08 17:22:39.415003\n\n\"\"\"\n"
      "from alembic import op\n\n# revision identifiers, used by Alembic.\n"
      "revision = '0a7f4d3e6c58'\ndown_revision = 'b7d3f5a19c20'\nbranch_labels = None\ndepends_on = None\n");
  EXPECT_EQ(s.revision, "0a7f4d3e6c58");
  EXPECT_EQ(s.down_revisions, Strings{"b7d3f5a19c20"});
  EXPECT_TRUE(s.branch_labels.empty());
  EXPECT_TRUE(s.depends_on.empty());
  EXPECT_EQ(s.message, "add points to chores");
  EXPECT_EQ(s.create_date, "2024-04-08 17:22:39.415003");
  EXPECT_EQ(s.revision_line, 11);
  EXPECT_EQ(s.down_revision_line, 12);
  EXPECT_EQ(s.branch_labels_line, 13);
}

TEST(ScriptParser, AnnotatedAssignments) {
  const auto s = parse_ok(
      "\"\"\"merge\"\"\"\nfrom typing import Sequence, Union\n"
      "revision: str = \"e4b1f9a7c3d2\"\n"
      "down_revision: Union[str, Sequence[str], None] = (\"d2c6a8e1f3b9\", \"0a7f4d3e6c58\")\n"
      "branch_labels: Union[str, Sequence[str], None] = None\n"
      "depends_on: Union[str, Sequence[str], None] = 'a1b2c3d4'\n");
  EXPECT_EQ(s.revision, "e4b1f9a7c3d2");
  EXPECT_EQ(s.down_revisions, (Strings{"d2c6a8e1f3b9", "0a7f4d3e6c58"}));
  EXPECT_EQ(s.depends_on, Strings{"a1b2c3d4"});
  EXPECT_EQ(s.message, "merge");
}

TEST(ScriptParser, AnAnnotationWithoutAValueAssignsNothing) {
  const auto s = parse_ok("revision: str\nrevision = 'abc1'\ndown_revision: str\ndown_revision = None\n");
  EXPECT_EQ(s.revision, "abc1");
  EXPECT_EQ(s.revision_line, 2);
  EXPECT_TRUE(s.down_revisions.empty());
}

TEST(ScriptParser, TuplesListsAndMultiLineCollectionsWithComments) {
  const auto s = parse_ok(
      "revision = 'm1'\n"
      "down_revision = (\n    'a1',  # the first parent\n    # a comment line\n    \"b2\",\n)\n"
      "branch_labels = ['expand', 'contract']\n"
      "depends_on = ('x9',)\n");
  EXPECT_EQ(s.down_revisions, (Strings{"a1", "b2"}));
  EXPECT_EQ(s.down_revision_line, 2);
  EXPECT_EQ(s.branch_labels, (Strings{"expand", "contract"}));
  EXPECT_EQ(s.depends_on, Strings{"x9"});
}

TEST(ScriptParser, ParenthesesAroundAStringAndBareTuples) {
  EXPECT_EQ(parse_ok("revision = ('abc1')\ndown_revision = ('p1')\n").down_revisions, Strings{"p1"});
  EXPECT_EQ(parse_ok("revision = 'abc1'\ndown_revision = 'p1', 'p2'\n").down_revisions,
            (Strings{"p1", "p2"}));
  EXPECT_EQ(parse_ok("revision = 'abc1'\ndown_revision = (None)\n").down_revisions, Strings{});
}

TEST(ScriptParser, EmptyValuesMeanBase) {
  EXPECT_TRUE(parse_ok("revision = 'a1'\ndown_revision = ''\n").down_revisions.empty());
  EXPECT_TRUE(parse_ok("revision = 'a1'\ndown_revision = ()\n").down_revisions.empty());
  EXPECT_TRUE(parse_ok("revision = 'a1'\ndown_revision = []\n").down_revisions.empty());
}

TEST(ScriptParser, BothQuoteStylesPrefixesEscapesAndConcatenation) {
  const auto s = parse_ok(
      "revision = r'I38991de2b4'\ndown_revision = u\"kilo\"\nbranch_labels = 'with\\'quote'\n"
      "depends_on = 'ab' \"cd\"\n");
  EXPECT_EQ(s.revision, "I38991de2b4");
  EXPECT_EQ(s.down_revisions, Strings{"kilo"});
  EXPECT_EQ(s.branch_labels, Strings{"with'quote"});
  EXPECT_EQ(s.depends_on, Strings{"abcd"});
}

TEST(ScriptParser, TheLastModuleLevelAssignmentWins) {
  const auto s = parse_ok("revision = 'old1'\ndown_revision = None\nrevision = 'new1'\n");
  EXPECT_EQ(s.revision, "new1");
  EXPECT_EQ(s.revision_line, 3);
}

TEST(ScriptParser, AssignmentsInsideFunctionsAndStringsAreIgnored) {
  const auto s = parse_ok(
      "revision = 'top1'\ndown_revision = None\n"
      "def upgrade():\n    revision = 'inner'\n    down_revision = 'nope'\n"
      "x = \"\"\"\nrevision = 'in a string'\n\"\"\"\n"
      "if True:\n    revision = 'conditional'\n");
  EXPECT_EQ(s.revision, "top1");
  EXPECT_TRUE(s.down_revisions.empty());
}

TEST(ScriptParser, ChainedAndSemicolonSeparatedStatements) {
  const auto s = parse_ok("revision = 'c1'; down_revision = branch_labels = None\n");
  EXPECT_EQ(s.revision, "c1");
  EXPECT_TRUE(s.down_revisions.empty());
}

TEST(ScriptParser, ComparisonsAndAttributeAssignmentsAreNotAssignments) {
  const auto parsed = parse_script(
      "revision = 'c1'\ndown_revision = None\nrevision == 'x'\nbranch_labels.x = 1\n", "/v/c1.py");
  ASSERT_TRUE(parsed.script.has_value());
  EXPECT_TRUE(parsed.diagnostics.empty()) << parsed.diagnostics.front().format();
}

TEST(ScriptParser, DocstringVariants) {
  EXPECT_EQ(parse_ok("'''single quotes\n\nmore'''\nrevision='a1'\ndown_revision=None\n").message,
            "single quotes");
  EXPECT_EQ(parse_ok("r\"\"\"raw \\d\n\nRevision ID: a1\"\"\"\nrevision='a1'\ndown_revision=None\n").message,
            "raw \\d");
  EXPECT_EQ(parse_ok("\"\"\"\n  leading blank line\n\nCreate Date: 2024-01-02\n\"\"\"\nrevision='a1'\n"
                     "down_revision=None\n")
                .message,
            "leading blank line");
  EXPECT_EQ(parse_ok("\"\"\"first\nsecond line\n\nthird\"\"\"\nrevision='a1'\ndown_revision=None\n").message,
            "first\nsecond line");
  EXPECT_EQ(parse_ok("# -*- coding: utf-8 -*-\n\"one line\"\nrevision='a1'\ndown_revision=None\n").message,
            "one line");
  // Not the first statement: not a docstring.
  EXPECT_EQ(parse_ok("import os\n\"\"\"late\"\"\"\nrevision='a1'\ndown_revision=None\n").message, "");
  // An f-string or bytes literal is no docstring either.
  EXPECT_EQ(parse_ok("b\"\"\"bytes\"\"\"\nrevision='a1'\ndown_revision=None\n").message, "");
}

TEST(ScriptParser, CreateDateAndCrLfLineEnds) {
  const auto s = parse_ok(
      "\"\"\"msg\r\n\r\nCreate Date:   2024-03-02 10:14:27  \r\n\"\"\"\r\nrevision = 'a1'\r\n"
      "down_revision = None\r\n");
  EXPECT_EQ(s.message, "msg");
  EXPECT_EQ(s.create_date, "2024-03-02 10:14:27");
  EXPECT_EQ(s.revision_line, 5);
}

TEST(ScriptParser, ANonLiteralLabelIsAWarningWithItsLine) {
  const auto parsed = parse_script(
      "revision = 'a1'\ndown_revision = None\nbranch_labels = (cli.EXPAND_BRANCH,)\n"
      "depends_on = helpers.previous()\n",
      "/v/a1.py");
  ASSERT_TRUE(parsed.script.has_value());
  EXPECT_TRUE(parsed.script->branch_labels.empty());
  ASSERT_EQ(parsed.diagnostics.size(), 2U);
  EXPECT_EQ(
      parsed.diagnostics[0].format(),
      "/v/a1.py:3: warning: branch_labels is not a literal (`(cli.EXPAND_BRANCH,)`); read as None, since "
      "mgate does not run Python");
  EXPECT_EQ(parsed.diagnostics[1].line, 4);
  EXPECT_EQ(parsed.diagnostics[1].severity, Diagnostic::Severity::kWarning);
}

TEST(ScriptParser, ANonLiteralRevisionOrParentIsAnError) {
  auto parsed = parse_script("revision = make_id()\ndown_revision = None\n", "/v/a.py");
  EXPECT_FALSE(parsed.script.has_value());
  ASSERT_EQ(parsed.diagnostics.size(), 1U);
  EXPECT_EQ(parsed.diagnostics[0].line, 1);
  EXPECT_EQ(parsed.diagnostics[0].severity, Diagnostic::Severity::kError);

  parsed = parse_script("revision = 'a1'\n\ndown_revision = PREVIOUS\n", "/v/a.py");
  EXPECT_FALSE(parsed.script.has_value());
  ASSERT_EQ(parsed.diagnostics.size(), 1U);
  EXPECT_EQ(
      parsed.diagnostics[0].format(),
      "/v/a.py:3: error: down_revision is not a literal (`PREVIOUS`): mgate reads revision files without "
      "running them");

  parsed = parse_script("revision = None\ndown_revision = None\n", "/v/a.py");
  EXPECT_FALSE(parsed.script.has_value());
}

TEST(ScriptParser, MissingAssignments) {
  auto parsed = parse_script("down_revision = None\n", "/v/notes.py");
  EXPECT_FALSE(parsed.script.has_value());
  ASSERT_EQ(parsed.diagnostics.size(), 1U);
  EXPECT_EQ(parsed.diagnostics[0].line, 0);

  parsed = parse_script("revision = 'a1'\n", "/v/a1.py");
  EXPECT_FALSE(parsed.script.has_value());
  EXPECT_NE(parsed.diagnostics.at(0).message.find("down_revision"), std::string::npos);
}

TEST(ScriptParser, ALegacyFileNameGivesTheId) {
  const auto s = parse_ok("down_revision = None\n", "/v/1975ea83b712.py");
  EXPECT_EQ(s.revision, "1975ea83b712");
  EXPECT_EQ(s.revision_line, 0);
}

TEST(ScriptParser, AnUnterminatedStringIsAWarning) {
  const auto parsed = parse_script("revision = 'a1'\ndown_revision = None\nx = 'oops\n", "/v/a1.py");
  ASSERT_TRUE(parsed.script.has_value());
  ASSERT_EQ(parsed.diagnostics.size(), 1U);
  EXPECT_EQ(parsed.diagnostics[0].line, 3);
  EXPECT_EQ(parsed.diagnostics[0].severity, Diagnostic::Severity::kWarning);
}

TEST(ScriptParser, BackslashContinuationsAndUnicode) {
  const auto s = parse_ok(
      "\"\"\"Añadir índice — café\"\"\"\nrevision = \\\n    'a1'\ndown_revision = '\\u00e9t\\x41'\n");
  EXPECT_EQ(s.revision, "a1");
  EXPECT_EQ(s.message, "Añadir índice — café");
  EXPECT_EQ(s.down_revisions, Strings{"étA"});
}

}  // namespace
}  // namespace mgate::backend::alembic
