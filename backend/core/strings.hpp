#pragma once
// Small string helpers shared by every module.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mgate::backend {

/// The Levenshtein distance between a and b (insert, delete, substitute each cost 1).
std::size_t edit_distance(std::string_view a, std::string_view b);

/// The candidate closest to word when it is close enough to be a likely typo
/// (distance at most a third of the word, at least 1), else nothing.
std::optional<std::string> did_you_mean(std::string_view word,
                                        const std::vector<std::string>& candidates);

/// s without leading and trailing ASCII white space.
std::string_view trim(std::string_view s);

/// s cut at every sep; empty pieces are kept.
std::vector<std::string> split(std::string_view s, char sep);

/// The items joined with sep between them.
std::string join(const std::vector<std::string>& items, std::string_view sep);

/// A commit id as mgate shows it: its first 12 characters (all of a shorter one).
std::string short_commit(std::string_view sha);

/// The last `lines` lines of a text (a final newline does not start a line); all of it when
/// lines is negative or the text has fewer.
std::string last_lines(const std::string& text, long long lines);

}  // namespace mgate::backend
