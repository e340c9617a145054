// What a non-purge stamp leaves in the version table; expected rows are alembic 1.8's.

#include <gtest/gtest.h>

#include "backend/alembic/stamp.hpp"
#include "tests/unit/alembic/graph_fixtures.hpp"

namespace mgate::backend::alembic {
namespace {

using Strings = std::vector<std::string>;

Strings stamped(const RevisionGraph& g, const Strings& rows, const Strings& targets) {
  auto r = stamp_rows(g, rows, targets);
  EXPECT_TRUE(r.ok()) << r.error().message;
  return r.ok() ? *r : Strings{"<error>"};
}

TEST(StampRows, MovesTheRowOfTheTargetsLine) {
  const auto g = sandbox_graph();
  EXPECT_EQ(stamped(g, {}, {"heads"}), Strings{kMerge});
  EXPECT_EQ(stamped(g, {kMerge}, {kAssignments}), Strings{kAssignments});          // down
  EXPECT_EQ(stamped(g, {kAssignments}, {"notifications@head"}), Strings{kMerge});  // up
  EXPECT_EQ(stamped(g, {kNotifyTip, kPoints}, {kMerge}), Strings{kMerge});         // two rows merge into one
  EXPECT_EQ(stamped(g, {kMerge}, {kMerge}), Strings{kMerge});                      // already there
}

TEST(StampRows, ATargetOnAnotherLineAddsARowAndKeepsTheOthers) {
  const auto g = sandbox_graph();
  EXPECT_EQ(stamped(g, {kNotifyTip}, {kPoints}), (Strings{kNotifyTip, kPoints}));
  const auto two = two_heads();
  EXPECT_EQ(stamped(two, {"h1"}, {"heads"}), (Strings{"h1", "h3"}));
  EXPECT_EQ(stamped(two, {"h2"}, {"h1"}), (Strings{"h2", "h1"}));
  EXPECT_EQ(stamped(two, {"h1"}, {"right@head"}), (Strings{"h1", "h3"}));
}

TEST(StampRows, BaseDeletesTheRowsOfTheLinesItNames) {
  const auto two = two_heads();
  EXPECT_EQ(stamped(two, {"h1", "h3"}, {"base"}), Strings{});
  EXPECT_EQ(stamped(two, {"h1", "h3"}, {}), Strings{});
  EXPECT_EQ(stamped(two, {"h1", "h3"}, {"left@base"}), Strings{"h3"});
  EXPECT_EQ(stamped(two, {"h1", "h3"}, {"b1"}), Strings{"b1"});
}

TEST(StampRows, AnUnknownRowNeedsAPurge) {
  const auto r = stamp_rows(sandbox_graph(), {"9f3c0ffee000"}, {kMerge});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("'9f3c0ffee000', which no revision file defines"), std::string::npos);
  EXPECT_NE(r.error().message.find("purge"), std::string::npos);
}

TEST(StampRows, TargetsThatDoNotResolve) {
  const auto two = two_heads();
  EXPECT_FALSE(stamp_rows(two, {"h1"}, {"head"}).ok());  // several heads
  EXPECT_EQ(stamp_rows(two, {"h1"}, {"nope"}).error().code, ErrorCode::kNotFound);
}

TEST(StampRows, StatesWhereAlembicsStampFails) {
  // Rows both above and below the target: alembic asserts.
  const auto g = sandbox_graph();
  const auto r = stamp_rows(g, {kMerge, kChores}, {kNotifyTip});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("alembic's stamp fails"), std::string::npos);
}

}  // namespace
}  // namespace mgate::backend::alembic
