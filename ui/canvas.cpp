#include "ui/canvas.hpp"

namespace mgate::ui {

MemoryCanvas::MemoryCanvas(int rows, int cols) : rows_(rows), cols_(cols) { clear(); }

int MemoryCanvas::put(int row, int col, std::string_view text, Style style) {
  if (row < 0 || row >= rows_) return col;
  for (char c : text) {
    if (col >= cols_) break;
    if (col >= 0) {
      text_[static_cast<std::size_t>(row)][static_cast<std::size_t>(col)] = c;
      style_[static_cast<std::size_t>(row)][static_cast<std::size_t>(col)] = static_cast<char>(style);
    }
    ++col;
  }
  return col;
}

void MemoryCanvas::clear() {
  text_.assign(static_cast<std::size_t>(rows_), std::string(static_cast<std::size_t>(cols_), ' '));
  style_ = text_;
}

std::string MemoryCanvas::line(int r) const {
  std::string s = text_.at(static_cast<std::size_t>(r));
  s.erase(s.find_last_not_of(' ') + 1);
  return s;
}

std::string MemoryCanvas::dump() const {
  std::string out;
  for (int r = 0; r < rows_; ++r) out += line(r) + "\n";
  out += "\n";
  for (const auto& s : style_) {
    std::string trimmed = s;
    trimmed.erase(trimmed.find_last_not_of(' ') + 1);
    out += trimmed + "\n";
  }
  return out;
}

}  // namespace mgate::ui
