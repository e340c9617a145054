#pragma once
// Revision graphs for the alembic unit tests, built from scripts in memory.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "backend/alembic/revision_graph.hpp"

namespace mgate::backend::alembic {

/// The sandbox app's revisions (tests/sandbox/app): a line, a labelled branch, a merge.
inline constexpr const char* kUsers = "3f2a9c1d7b4e";
inline constexpr const char* kChores = "8c41e07d2b95";
inline constexpr const char* kAssignments = "b7d3f5a19c20";
inline constexpr const char* kPoints = "0a7f4d3e6c58";
inline constexpr const char* kNotify = "5e9b2c8a4f17";
inline constexpr const char* kNotifyTip = "d2c6a8e1f3b9";
inline constexpr const char* kMerge = "e4b1f9a7c3d2";

/// A script as a revision file would declare it, at /v/<id>.py with fixed line numbers.
inline Script rev(std::string id, std::vector<std::string> down = {}, std::vector<std::string> labels = {},
                  std::vector<std::string> deps = {}) {
  Script s;
  s.path = "/v/" + id + ".py";
  s.message = "message of " + id;
  s.revision = std::move(id);
  s.down_revisions = std::move(down);
  s.branch_labels = std::move(labels);
  s.depends_on = std::move(deps);
  s.revision_line = 10;
  s.down_revision_line = 11;
  s.branch_labels_line = 12;
  s.depends_on_line = 13;
  return s;
}

/// RevisionGraph::build on scripts given in load order.
inline GraphBuild build(std::vector<Script> scripts) {
  return RevisionGraph::build(std::move(scripts));
}

/// A graph that must build without diagnostics.
inline RevisionGraph graph(std::vector<Script> scripts) {
  auto built = build(std::move(scripts));
  EXPECT_TRUE(built.diagnostics.empty()) << built.diagnostics.front().format();
  return std::move(*built.graph);
}

/// The sandbox app, files in name order as alembic lists them.
inline RevisionGraph sandbox_graph() {
  return graph({rev(kPoints, {kAssignments}), rev(kUsers), rev(kNotify, {kAssignments}, {"notifications"}),
                rev(kChores, {kUsers}), rev(kAssignments, {kChores}), rev(kNotifyTip, {kNotify}),
                rev(kMerge, {kNotifyTip, kPoints})});
}

/// Two unmerged heads: a1 - b1 - h1 (left), and b1 - h2 - h3 (right).
inline RevisionGraph two_heads() {
  return graph({rev("a1"), rev("b1", {"a1"}), rev("h1", {"b1"}, {"left"}), rev("h2", {"b1"}, {"right"}),
                rev("h3", {"h2"})});
}

}  // namespace mgate::backend::alembic
