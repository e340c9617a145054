#pragma once
// Plain-text tables for the command line: columns as wide as their widest cell, two spaces
// apart, as kubectl prints them.

#include <ostream>
#include <string>
#include <vector>

namespace mgate::cli {

/// Prints `rows` (the first is the header) with every line starting with `indent`; trailing
/// blanks are trimmed.
void print_table(std::ostream& out, const std::vector<std::vector<std::string>>& rows,
                 const std::string& indent = "");

}  // namespace mgate::cli
