#pragma once
// Semantic versions and version constraints as Masterminds/semver v3 reads them: the library
// Argo CD Image Updater's semver strategy uses to filter and order tags (updater_prediction.hpp).
//
// Versions: an optional leading v, 1 to 3 numeric parts without leading zeros (a missing part is
// 0), an optional -prerelease and +metadata. Constraints: comparisons (=, !=, >, >=, <, <=, ~, ~>,
// ^) of versions whose parts may be wildcards (x, X, *, or left out), separated by commas or
// spaces, "A - B" ranges, and alternatives joined by ||.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "backend/core/error.hpp"

namespace mgate::backend::ops {

/// A semantic version; build metadata is dropped, as it plays no part in ordering.
struct SemverVersion {
  std::uint64_t major = 0;
  std::uint64_t minor = 0;
  std::uint64_t patch = 0;
  std::vector<std::string> prerelease;  ///< the dot-separated prerelease identifiers; empty = a release
};

/// The version `text` names, when Masterminds/semver's NewVersion accepts it; nothing otherwise
/// (a leading V, four parts, a leading zero, a part beyond 64 bits).
std::optional<SemverVersion> parse_semver(std::string_view text);

/// -1, 0, 1 as `a` orders before, the same as, or after `b` by SemVer precedence: numeric parts,
/// then a prerelease before its release, then prerelease identifiers (numeric ones numerically and
/// before alphanumeric ones, a shorter list first when one is a prefix of the other).
int compare_semver(const SemverVersion& a, const SemverVersion& b);

namespace semver_detail {
struct Alternatives;  // the parsed comparisons, defined in semver_constraint.cpp
}  // namespace semver_detail

/// A parsed version constraint ("~1.2", ">= 1.0, < 2 || 3.x"). Cheap to copy: the parsed form is
/// shared and never changes.
class SemverConstraint {
 public:
  /// Parses `text`; an Error (kInvalidArgument) names the ||-alternative that cannot be read.
  static Result<SemverConstraint> parse(std::string_view text);

  /// Whether `version` satisfies every comparison of some alternative. A prerelease version
  /// satisfies only comparisons that themselves name a prerelease ("~1.2-0" opts in).
  bool satisfied_by(const SemverVersion& version) const;

 private:
  explicit SemverConstraint(std::shared_ptr<const semver_detail::Alternatives> alternatives);

  std::shared_ptr<const semver_detail::Alternatives> alternatives_;
};

/// Whether `name` is a version Masterminds/semver's NewVersion accepts (a leading v, 1 to 3 parts,
/// optional -prerelease and +metadata), as the semver strategy requires.
bool is_semver_tag(std::string_view name);

/// Whether `version` satisfies the Masterminds/semver constraint; an Error (kInvalidArgument) says
/// why the constraint does not parse, or that `version` is not a semantic version. Without a
/// prerelease in the constraint, prereleases fail.
Result<bool> semver_satisfies(std::string_view constraint, std::string_view version);

}  // namespace mgate::backend::ops
