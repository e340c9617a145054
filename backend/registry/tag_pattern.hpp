#pragma once
// A tag pattern of the configuration ("stage-{sha}", "prod-migrated-{sha7}") read both ways:
// the tag for a commit, and the commit a tag names.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "backend/core/error.hpp"

namespace mgate::backend::registry {

/// One environment's tag pattern, with {env} already substituted.
///
/// `{sha}` stands for a commit id as CI writes it: 7 to 64 lower-case hex digits (a short or a
/// full git sha, SHA-1 or SHA-256). `{sha7}` stands for exactly 7. A pattern may name the
/// commit more than once; a tag matches only when every occurrence names the same commit.
class TagPattern {
 public:
  /// Parses `pattern` (validated by the config loader) for environment `env`.
  /// kInvalidArgument when it has no {sha}/{sha7} or an unknown placeholder.
  static Result<TagPattern> parse(std::string_view pattern, std::string_view env);

  /// The commit `tag` names (the longest form the tag holds), or nothing when it does not match.
  std::optional<std::string> match(std::string_view tag) const;

  /// The tag for commit `sha`; {sha7} takes its first 7 characters.
  std::string tag_for(std::string_view sha) const;

  /// True when the pattern names the commit only as {sha7}: a full sha given by a person is then
  /// shortened before it is compared.
  bool short_only() const { return short_only_; }

  /// The pattern as written, {env} substituted.
  const std::string& text() const { return text_; }

 private:
  struct Part {
    std::string literal;  ///< text before the placeholder
    bool sha7 = false;    ///< the placeholder after it is {sha7} (else {sha}, or none at the end)
    bool placeholder = false;
  };
  std::string text_;
  std::vector<Part> parts_;
  bool short_only_ = true;
};

/// True for 7 to 64 lower-case hex digits.
bool is_commit_sha(std::string_view text);

}  // namespace mgate::backend::registry
