#include "backend/core/strings.hpp"

#include <gtest/gtest.h>

namespace mgate::backend {
namespace {

TEST(EditDistance, CountsInsertDeleteSubstitute) {
  EXPECT_EQ(edit_distance("", ""), 0u);
  EXPECT_EQ(edit_distance("abc", ""), 3u);
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);
  EXPECT_EQ(edit_distance("namespce", "namespace"), 1u);
}

TEST(DidYouMean, SuggestsTheClosestKey) {
  const std::vector<std::string> keys{"namespace", "context", "kubeconfig", "jobs"};
  EXPECT_EQ(did_you_mean("namespce", keys), "namespace");
  EXPECT_EQ(did_you_mean("contxt", keys), "context");
  EXPECT_EQ(did_you_mean("job", keys), "jobs");
}

TEST(DidYouMean, StaysSilentWhenNothingIsClose) {
  const std::vector<std::string> keys{"namespace", "context"};
  EXPECT_EQ(did_you_mean("registry", keys), std::nullopt);
  EXPECT_EQ(did_you_mean("x", {}), std::nullopt);
}

TEST(Split, KeepsEmptyPieces) {
  EXPECT_EQ(split("a,,b", ','), (std::vector<std::string>{"a", "", "b"}));
  EXPECT_EQ(split("", ','), (std::vector<std::string>{""}));
  EXPECT_EQ(join({"a", "b", "c"}, ", "), "a, b, c");
  EXPECT_EQ(trim("  x y \n"), "x y");
}

}  // namespace
TEST(LastLines, KeepsTheLastLinesWithTheirNewlines) {
  EXPECT_EQ(last_lines("a\nb\nc\n", 2), "b\nc\n");
  EXPECT_EQ(last_lines("a\nb\nc", 1), "c");
  EXPECT_EQ(last_lines("a\nb\nc\n", 5), "a\nb\nc\n");
  EXPECT_EQ(last_lines("a\nb\n", 0), "");
  EXPECT_EQ(last_lines("a\nb\n", -1), "a\nb\n");
  EXPECT_EQ(last_lines("", 3), "");
}

}  // namespace mgate::backend
