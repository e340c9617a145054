// The text of `mgate heads` / `mgate history` (alembic's), and the JSON shape of docs/cli-json.md.

#include <gtest/gtest.h>

#include "backend/alembic/listing.hpp"
#include "tests/unit/alembic/graph_fixtures.hpp"

namespace mgate::backend::alembic {
namespace {

TEST(Listing, HistoryAsAlembicPrintsIt) {
  const auto g = sandbox_graph();
  EXPECT_EQ(history_text(g),
            "d2c6a8e1f3b9, 0a7f4d3e6c58 -> e4b1f9a7c3d2 (notifications) (head) (mergepoint), message of "
            "e4b1f9a7c3d2\n"
            "5e9b2c8a4f17 -> d2c6a8e1f3b9 (notifications), message of d2c6a8e1f3b9\n"
            "b7d3f5a19c20 -> 5e9b2c8a4f17 (notifications), message of 5e9b2c8a4f17\n"
            "b7d3f5a19c20 -> 0a7f4d3e6c58, message of 0a7f4d3e6c58\n"
            "8c41e07d2b95 -> b7d3f5a19c20 (branchpoint), message of b7d3f5a19c20\n"
            "3f2a9c1d7b4e -> 8c41e07d2b95, message of 8c41e07d2b95\n"
            "<base> -> 3f2a9c1d7b4e, message of 3f2a9c1d7b4e\n");
  EXPECT_EQ(heads_text(g), "e4b1f9a7c3d2 (notifications) (head)\n");
}

TEST(Listing, DependenciesAndEffectiveHeads) {
  const auto g = graph({rev("a1"), rev("j1", {"a1"}), rev("k1", {}, {"billing"}, {"j1", "a1"})});
  EXPECT_EQ(heads_text(g), "j1 (effective head)\nk1 (billing) (head)\n");
  EXPECT_EQ(history_line(*g.find("k1")), "<base> (j1, a1) -> k1 (billing) (head), message of k1");
  EXPECT_EQ(history_line(*g.find("j1")), "a1 -> j1 (effective head), message of j1");
}

TEST(Listing, Json) {
  ScriptDirectory dir;
  dir.source.origin = "/srv/app/alembic.ini";
  dir.graph = two_heads();
  dir.diagnostics.push_back(warning_at("/v/h1.py", 4, "branch_labels is not a literal"));
  const auto heads = heads_json(dir);
  EXPECT_EQ(heads["scripts"], "/srv/app/alembic.ini");
  ASSERT_EQ(heads["heads"].size(), 2U);
  EXPECT_EQ(heads["heads"][0]["revision"], "h1");
  EXPECT_EQ(heads["heads"][0]["branch_labels"], nlohmann::json::array({"left"}));
  EXPECT_EQ(heads["heads"][0]["head"], true);
  EXPECT_EQ(heads["heads"][0]["effective_head"], false);
  EXPECT_EQ(heads["warnings"][0]["line"], 4);
  const auto history = history_json(dir);
  EXPECT_EQ(history["heads"], nlohmann::json::array({"h1", "h3"}));
  EXPECT_EQ(history["bases"], nlohmann::json::array({"a1"}));
  std::vector<std::string> order;
  for (const auto& r : history["revisions"]) order.push_back(r["revision"]);
  EXPECT_EQ(order, (std::vector<std::string>{"h1", "h3", "h2", "b1", "a1"}));
  const auto& b1 = history["revisions"][3];
  EXPECT_EQ(b1["branch_point"], true);
  EXPECT_EQ(b1["down_revisions"], nlohmann::json::array({"a1"}));
  EXPECT_EQ(b1["create_date"], nullptr);
  EXPECT_EQ(b1["path"], "/v/b1.py");
  EXPECT_EQ(b1["line"], 10);
}

}  // namespace
}  // namespace mgate::backend::alembic
