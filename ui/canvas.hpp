#pragma once
// The surface every view draws on (CONVENTIONS.md 1): cells with named styles.
// ui/term/ implements it on curses; MemoryCanvas keeps cells for tests and goldens.

#include <string>
#include <string_view>
#include <vector>

namespace mgate::ui {

/// Named styles; the theme maps each to colours (or to nothing under NO_COLOR).
enum class Style : char {
  kNormal = ' ',
  kHeader = 'H',
  kSelected = 'S',
  kActive = 'A',
  kSucceeded = 'G',
  kFailed = 'F',
  kStale = 'T',
  kWarning = 'W',
  kDim = 'D',
};

/// A grid of cells a view writes text into.
class Canvas {
 public:
  virtual ~Canvas() = default;
  /// Rows on the surface.
  virtual int rows() const = 0;
  /// Columns on the surface.
  virtual int cols() const = 0;
  /// Writes text at (row, col) in a style; what falls outside the surface is dropped.
  /// Returns the column after the last cell written.
  virtual int put(int row, int col, std::string_view text, Style style = Style::kNormal) = 0;
  /// Blanks every cell.
  virtual void clear() = 0;
};

/// An in-memory Canvas: the text layer and a parallel style layer.
class MemoryCanvas final : public Canvas {
 public:
  MemoryCanvas(int rows, int cols);
  int rows() const override { return rows_; }
  int cols() const override { return cols_; }
  int put(int row, int col, std::string_view text, Style style = Style::kNormal) override;
  void clear() override;

  /// Row r's text, trailing blanks removed.
  std::string line(int r) const;
  /// The screen as text: every row, then a blank line, then every row's style letters.
  std::string dump() const;

 private:
  int rows_;
  int cols_;
  std::vector<std::string> text_;
  std::vector<std::string> style_;
};

}  // namespace mgate::ui
