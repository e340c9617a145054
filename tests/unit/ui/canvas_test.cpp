#include "ui/canvas.hpp"

#include <gtest/gtest.h>

namespace mgate::ui {
namespace {

TEST(MemoryCanvas, KeepsTextAndStyleLayersAndClipsAtTheEdges) {
  MemoryCanvas c(3, 10);
  EXPECT_EQ(c.put(0, 0, "JOBS", Style::kHeader), 4);
  c.put(1, 2, "failed", Style::kFailed);
  c.put(2, 7, "overflow", Style::kDim);
  c.put(5, 0, "off the screen");
  EXPECT_EQ(c.line(0), "JOBS");
  EXPECT_EQ(c.line(1), "  failed");
  EXPECT_EQ(c.line(2), "       ove");
  EXPECT_EQ(c.dump(), "JOBS\n  failed\n       ove\n\nHHHH\n  FFFFFF\n       DDD\n");
  c.clear();
  EXPECT_EQ(c.line(1), "");
}

}  // namespace
}  // namespace mgate::ui
