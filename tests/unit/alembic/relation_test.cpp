// How version rows relate to the code: one kind per situation an operator must tell apart.

#include <gtest/gtest.h>

#include "backend/alembic/relation.hpp"
#include "tests/unit/alembic/graph_fixtures.hpp"

namespace mgate::backend::alembic {
namespace {

using Strings = std::vector<std::string>;
using Kind = Relation::Kind;

TEST(Relation, AtHeadComparedAsSets) {
  const auto g = two_heads();
  const auto r = relate(g, {"h3", "h1", "h3"});
  EXPECT_EQ(r.kind, Kind::kAtHeads);
  EXPECT_EQ(r.current, (Strings{"h1", "h3"}));
  EXPECT_TRUE(r.pending.empty());
  EXPECT_EQ(r.sentence(), "at heads h1, h3");
  EXPECT_EQ(relate(sandbox_graph(), {kMerge}).sentence(), "at head e4b1f9a7c3d2");
}

TEST(Relation, BehindListsThePendingRevisionsInUpgradeOrder) {
  const auto g = sandbox_graph();
  auto r = relate(g, {kNotifyTip});
  EXPECT_EQ(r.kind, Kind::kBehind);
  EXPECT_EQ(r.pending, (Strings{kPoints, kMerge}));
  EXPECT_EQ(r.sentence(), "2 behind: 0a7f4d3e6c58, e4b1f9a7c3d2");
  r = relate(g, {});
  EXPECT_EQ(r.kind, Kind::kBehind);
  EXPECT_EQ(r.pending.size(), 7U);
  EXPECT_EQ(
      r.sentence(),
      "not migrated (base): 7 behind: 3f2a9c1d7b4e, 8c41e07d2b95, b7d3f5a19c20, 0a7f4d3e6c58, 5e9b2c8a4f17 "
      "and 2 more");
}

TEST(Relation, OnABranchAndSeveralHeads) {
  const auto g = two_heads();
  auto r = relate(g, {"h1"});
  EXPECT_EQ(r.kind, Kind::kOnBranch);
  EXPECT_EQ(r.pending, (Strings{"h2", "h3"}));
  EXPECT_EQ(r.sentence(), "on a branch: head h3 not applied; 2 behind: h2, h3");
  r = relate(g, {"b1"});
  EXPECT_EQ(r.kind, Kind::kMultipleHeads);
  EXPECT_EQ(r.pending, (Strings{"h2", "h3", "h1"}));
  EXPECT_EQ(r.heads, (Strings{"h1", "h3"}));
  EXPECT_NE(r.sentence().find("2 heads (h1, h3)"), std::string::npos) << r.sentence();
}

TEST(Relation, UnknownRevisionAfterARestore) {
  const auto r = relate(sandbox_graph(), {"9f3c0ffee000", kMerge});
  EXPECT_EQ(r.kind, Kind::kUnknown);
  EXPECT_EQ(r.unknown, Strings{"9f3c0ffee000"});
  EXPECT_TRUE(r.pending.empty());
  EXPECT_EQ(r.sentence(),
            "unknown revision 9f3c0ffee000: no revision file defines it (the database is ahead of "
            "this code, or was restored from another history)");
  // A prefix is not a row alembic writes.
  EXPECT_EQ(relate(sandbox_graph(), {"e4b1"}).kind, Kind::kUnknown);
}

TEST(Relation, RowsOnOneLineAreInconsistent) {
  const auto r = relate(sandbox_graph(), {kUsers, kNotifyTip});
  EXPECT_EQ(r.kind, Kind::kInconsistent);
  EXPECT_EQ(r.sentence(),
            "inconsistent version rows: Requested revision d2c6a8e1f3b9 overlaps with other "
            "requested revisions 3f2a9c1d7b4e");
}

TEST(Relation, KindNames) {
  EXPECT_STREQ(to_string(Kind::kAtHeads), "at_heads");
  EXPECT_STREQ(to_string(Kind::kBehind), "behind");
  EXPECT_STREQ(to_string(Kind::kOnBranch), "on_branch");
  EXPECT_STREQ(to_string(Kind::kMultipleHeads), "multiple_heads");
  EXPECT_STREQ(to_string(Kind::kUnknown), "unknown");
  EXPECT_STREQ(to_string(Kind::kInconsistent), "inconsistent");
}

}  // namespace
}  // namespace mgate::backend::alembic
