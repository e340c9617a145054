// The revision graph: heads, bases, history order, upgrade paths, inherited labels and lookups.
// The expected values are what alembic 1.8 answers for the same graphs (files loaded in the order
// given here).

#include <gtest/gtest.h>

#include "backend/alembic/revision_graph.hpp"
#include "tests/unit/alembic/graph_fixtures.hpp"

namespace mgate::backend::alembic {
namespace {

using Strings = std::vector<std::string>;

TEST(RevisionGraph, Linear) {
  const auto g = graph({rev("a1"), rev("b1", {"a1"}), rev("c1", {"b1"})});
  EXPECT_EQ(g.heads(), Strings{"c1"});
  EXPECT_EQ(g.bases(), Strings{"a1"});
  EXPECT_EQ(g.history(), (Strings{"c1", "b1", "a1"}));
  EXPECT_EQ(*g.upgrade_path({}), (Strings{"a1", "b1", "c1"}));
  EXPECT_EQ(*g.upgrade_path({"a1"}), (Strings{"b1", "c1"}));
  EXPECT_EQ(*g.upgrade_path({"c1"}), Strings{});
  EXPECT_TRUE(g.branch_points().empty());
  EXPECT_TRUE(g.merge_points().empty());
}

TEST(RevisionGraph, TheSandboxAppBranchAndMerge) {
  const auto g = sandbox_graph();
  EXPECT_EQ(g.heads(), Strings{kMerge});
  EXPECT_EQ(g.branch_points(), Strings{kAssignments});
  EXPECT_EQ(g.merge_points(), Strings{kMerge});
  EXPECT_EQ(g.history(), (Strings{kMerge, kNotifyTip, kNotify, kPoints, kAssignments, kChores, kUsers}));
  EXPECT_EQ(*g.upgrade_path({}),
            (Strings{kUsers, kChores, kAssignments, kPoints, kNotify, kNotifyTip, kMerge}));
  EXPECT_EQ(*g.upgrade_path({kNotifyTip}), (Strings{kPoints, kMerge}));
  EXPECT_EQ(*g.upgrade_path({kPoints}), (Strings{kNotify, kNotifyTip, kMerge}));
  EXPECT_EQ(*g.upgrade_path({kNotifyTip, kPoints}), Strings{kMerge});
  // The label covers its branch and, through the merge, everything after it.
  EXPECT_EQ(g.find(kNotify)->branch_labels, Strings{"notifications"});
  EXPECT_EQ(g.find(kMerge)->branch_labels, Strings{"notifications"});
  EXPECT_TRUE(g.find(kPoints)->branch_labels.empty());
  EXPECT_TRUE(g.find(kAssignments)->branch_labels.empty());
  EXPECT_EQ(g.find(kAssignments)->children, (Strings{kPoints, kNotify}));
}

TEST(RevisionGraph, TwoHeadsHistoryAndUpgradeOrder) {
  const auto g = two_heads();
  EXPECT_EQ(g.heads(), (Strings{"h1", "h3"}));
  EXPECT_EQ(g.history(), (Strings{"h1", "h3", "h2", "b1", "a1"}));
  EXPECT_EQ(*g.upgrade_path({}), (Strings{"a1", "b1", "h2", "h3", "h1"}));
}

TEST(RevisionGraph, DependsOnOrdersTheUpgrade) {
  const auto g =
      graph({rev("a1"), rev("b1", {"a1"}), rev("c1", {"b1"}), rev("d1", {"c1"}),
             rev("x1", {}, {"billing"}, {"a1"}), rev("y1", {"x1"}), rev("z1", {"y1"}, {}, {"c1"})});
  EXPECT_EQ(g.heads(), (Strings{"d1", "z1"}));
  EXPECT_EQ(g.bases(), (Strings{"a1", "x1"}));
  EXPECT_EQ(g.real_bases(), Strings{"a1"});
  EXPECT_EQ(g.history(), (Strings{"d1", "z1", "y1", "x1", "c1", "b1", "a1"}));
  EXPECT_EQ(*g.upgrade_path({}), (Strings{"a1", "b1", "c1", "x1", "y1", "z1", "d1"}));
  EXPECT_EQ(*g.upgrade_path({"b1"}), (Strings{"c1", "x1", "y1", "z1", "d1"}));
  EXPECT_EQ(*g.upgrade_path({"y1"}), (Strings{"b1", "c1", "z1", "d1"}));
  EXPECT_EQ(*g.upgrade_path({"d1", "y1"}), Strings{"z1"});
  EXPECT_EQ(g.find("a1")->dependents, Strings{"x1"});
  EXPECT_TRUE(g.shares_lineage("z1", "c1", true));
  EXPECT_FALSE(g.shares_lineage("z1", "c1", false));
}

TEST(RevisionGraph, ADependedOnHeadIsAnEffectiveHead) {
  const auto g = graph({rev("a1"), rev("j1", {"a1"}), rev("k1", {}, {}, {"j1"})});
  EXPECT_EQ(g.heads(), (Strings{"j1", "k1"}));
  EXPECT_EQ(g.real_heads(), Strings{"k1"});
  EXPECT_TRUE(g.find("j1")->is_head);
  EXPECT_FALSE(g.find("j1")->is_real_head);
  EXPECT_EQ(*g.resolve("heads"), Strings{"k1"});
  EXPECT_EQ(*g.upgrade_path({}), (Strings{"a1", "j1", "k1"}));
}

TEST(RevisionGraph, LabelsReachDownToTheBranchPoint) {
  // A plain line: the label covers everything, down to the base.
  auto g = graph({rev("a1"), rev("b1", {"a1"}), rev("c1", {"b1"}, {"x"}), rev("d1", {"c1"})});
  for (const char* id : {"a1", "b1", "c1", "d1"}) EXPECT_EQ(g.find(id)->branch_labels, Strings{"x"}) << id;
  // A branch point below: the label stops above it.
  g = graph({rev("a1"), rev("b1", {"a1"}), rev("c1", {"b1"}, {"x"}), rev("d1", {"c1"}), rev("e1", {"b1"})});
  EXPECT_EQ(g.find("d1")->branch_labels, Strings{"x"});
  EXPECT_TRUE(g.find("b1")->branch_labels.empty());
  EXPECT_TRUE(g.find("e1")->branch_labels.empty());
  EXPECT_EQ(g.history(), (Strings{"d1", "c1", "e1", "b1", "a1"}));
  // A merge above: the label does not reach below the revision that declares it.
  g = graph({rev("a1"), rev("b1", {"a1"}), rev("c1", {"b1"}, {"x"}), rev("d1", {"c1"}), rev("e1", {"a1"}),
             rev("m1", {"d1", "e1"})});
  EXPECT_EQ(g.find("m1")->branch_labels, Strings{"x"});
  EXPECT_TRUE(g.find("b1")->branch_labels.empty());
  EXPECT_EQ(g.history(), (Strings{"m1", "d1", "c1", "b1", "e1", "a1"}));
  // A dependency makes b1 a branch point too.
  g = graph(
      {rev("a1"), rev("b1", {"a1"}), rev("c1", {"b1"}, {"x"}), rev("d1", {"c1"}), rev("q1", {}, {}, {"b1"})});
  EXPECT_TRUE(g.find("b1")->branch_labels.empty());
  EXPECT_EQ(g.find("c1")->branch_labels, Strings{"x"});
  EXPECT_EQ(g.history(), (Strings{"d1", "c1", "q1", "b1", "a1"}));
}

TEST(RevisionGraph, NestedLabelsAccumulate) {
  const auto g =
      graph({rev("a1", {}, {"base_line"}), rev("b1", {"a1"}), rev("c1", {"b1"}, {"inner", "alias"})});
  EXPECT_EQ(g.find("c1")->branch_labels, (Strings{"alias", "base_line", "inner"}));
  EXPECT_EQ(g.find("a1")->branch_labels, (Strings{"alias", "base_line", "inner"}));
}

TEST(RevisionGraph, Errors) {
  auto built = build({rev("a1"), rev("a1", {}), rev("b1", {"a2"}), rev("c1", {"b1"}, {}, {"nope"})});
  EXPECT_FALSE(built.graph.has_value());
  ASSERT_EQ(built.diagnostics.size(), 3U);
  EXPECT_EQ(built.diagnostics[0].format(),
            "/v/a1.py:10: error: revision 'a1' is already defined at /v/a1.py:10");
  EXPECT_EQ(
      built.diagnostics[1].format(),
      "/v/b1.py:11: error: down_revision names 'a2', which no revision file defines; did you mean 'a1'?");
  EXPECT_EQ(built.diagnostics[2].format(),
            "/v/c1.py:13: error: depends_on names 'nope', which is neither a revision id nor a branch label");
}

TEST(RevisionGraph, CyclesAndSelfLoopsAreErrorsNotHangs) {
  auto built = build({rev("a1"), rev("b1", {"d1"}), rev("c1", {"b1"}), rev("d1", {"c1"}), rev("e1", {"d1"})});
  EXPECT_FALSE(built.graph.has_value());
  ASSERT_EQ(built.diagnostics.size(), 1U);
  EXPECT_EQ(built.diagnostics[0].format(),
            "/v/b1.py:11: error: cycle through down_revision: revisions b1, c1, d1 lead back to themselves");
  built = build({rev("a1", {"a1"})});
  ASSERT_EQ(built.diagnostics.size(), 1U);
  EXPECT_EQ(built.diagnostics[0].message, "down_revision names 'a1' itself");
  built = build({rev("a1", {}, {}, {"b1"}), rev("b1", {"a1"})});
  ASSERT_EQ(built.diagnostics.size(), 1U);
  EXPECT_NE(built.diagnostics[0].message.find("cycle through down_revision and depends_on"),
            std::string::npos);
}

TEST(RevisionGraph, LabelAndIdRules) {
  auto built = build({rev("a1", {}, {"x"}), rev("b1", {"a1"}, {"x"}), rev("c1", {"b1"}, {"a1"})});
  ASSERT_EQ(built.diagnostics.size(), 2U);
  EXPECT_EQ(built.diagnostics[0].message, "branch label 'x' is already used by revision a1 (/v/a1.py:12)");
  EXPECT_EQ(built.diagnostics[1].message, "branch label 'a1' is also the id of a revision");
  built = build({rev("a-1")});
  ASSERT_EQ(built.diagnostics.size(), 1U);
  EXPECT_NE(built.diagnostics[0].message.find("'@', '-' or '+'"), std::string::npos);
  built = build({rev("a1", {}, {"lbl"}), rev("b1", {"lbl"})});
  ASSERT_EQ(built.diagnostics.size(), 1U);
  EXPECT_NE(built.diagnostics[0].message.find("branch label 'lbl'"), std::string::npos);
}

TEST(RevisionGraph, NonHexIds) {
  const auto g = graph({rev("kilo"), rev("I38991de2b4", {"kilo"}), rev("0001_initial", {"I38991de2b4"})});
  EXPECT_EQ(g.history(), (Strings{"0001_initial", "I38991de2b4", "kilo"}));
  EXPECT_EQ(*g.resolve("I3899"), Strings{"I38991de2b4"});
  EXPECT_EQ(*g.resolve("kilo"), Strings{"kilo"});
}

TEST(RevisionGraphLookup, IdsPrefixesAndSymbols) {
  const auto g = sandbox_graph();
  EXPECT_EQ(*g.resolve(kMerge), Strings{kMerge});
  EXPECT_EQ(*g.resolve("e4b1"), Strings{kMerge});
  EXPECT_EQ(*g.resolve("head"), Strings{kMerge});
  EXPECT_EQ(*g.resolve("heads"), Strings{kMerge});
  EXPECT_EQ(*g.resolve("base"), Strings{});
  EXPECT_EQ(*g.resolve("notifications"), Strings{kNotify});  // the revision that declares it
  EXPECT_EQ(*g.resolve("notifications@head"), Strings{kMerge});
  EXPECT_EQ(*g.resolve("notifications@d2c6"), Strings{kNotifyTip});
  // A prefix only matches on the branch; a full id off the branch is "not a member".
  EXPECT_EQ(g.resolve("notifications@0a7f").error().message, "No such revision or branch '0a7f'");
  EXPECT_EQ(g.resolve("notifications@0a7f4d3e6c58").error().message,
            "Revision 0a7f4d3e6c58 is not a member of branch 'notifications'");
  EXPECT_EQ(g.resolve("zzzz").error().code, ErrorCode::kNotFound);
  // alembic matches prefixes of any length against ids longer than three characters.
  EXPECT_EQ(*g.resolve("e4b"), Strings{kMerge});
  EXPECT_EQ(
      g.resolve("e4x").error().message,
      "No such revision or branch 'e4x'; please ensure at least four characters are present for partial "
      "revision identifier matches");
  EXPECT_EQ(g.resolve("-1").error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(g.resolve("nosuch@head").error().message, "No such revision or branch 'nosuch'");
  EXPECT_EQ(g.resolve("nosuch@e4b1").error().message, "No such branch: 'nosuch'");
}

TEST(RevisionGraphLookup, AnAmbiguousPrefixListsTheCandidates) {
  const auto g =
      graph({rev("abcd1111"), rev("abcd2222", {"abcd1111"}), rev("abcd3333", {"abcd2222"}, {"abcdlabel"})});
  const auto r = g.resolve("abcd");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message,
            "Multiple revisions start with 'abcd': 'abcd1111', 'abcd2222', 'abcd3333', 'abcdlabel'");
  EXPECT_EQ(*g.resolve("abcd2"), Strings{"abcd2222"});
  EXPECT_EQ(*g.resolve("abcdl"), Strings{"abcd3333"});  // prefixes of labels count too
}

TEST(RevisionGraphLookup, SeveralHeads) {
  const auto g = two_heads();
  const auto head = g.resolve("head");
  ASSERT_FALSE(head.ok());
  EXPECT_NE(head.error().message.find("Multiple head revisions are present for given argument 'head'"),
            std::string::npos);
  EXPECT_NE(head.error().message.find("(h1, h3)"), std::string::npos);
  EXPECT_EQ(*g.resolve("heads"), (Strings{"h1", "h3"}));
  EXPECT_EQ(*g.resolve("left@head"), Strings{"h1"});
  EXPECT_EQ(*g.resolve("right@head"), Strings{"h3"});
  EXPECT_EQ(*g.resolve("right@heads"), Strings{"h3"});
  EXPECT_EQ(*g.resolve("left"), Strings{"h1"});
  EXPECT_FALSE(g.resolve("b1@head").ok());  // b1 is on both lines
  EXPECT_EQ(g.resolve("left@h3").error().message, "Revision h3 is not a member of branch 'left'");
}

TEST(RevisionGraph, OverlappingRowsAreRefusedAsAlembicDoes) {
  const auto g = sandbox_graph();
  const auto path = g.upgrade_path({kUsers, kMerge});
  ASSERT_FALSE(path.ok());
  EXPECT_EQ(path.error().message,
            "Requested revision e4b1f9a7c3d2 overlaps with other requested revisions 3f2a9c1d7b4e");
  EXPECT_EQ(g.upgrade_path({"deadbeef0000"}).error().message,
            "Can't locate revision identified by 'deadbeef0000'");
}

}  // namespace
}  // namespace mgate::backend::alembic
