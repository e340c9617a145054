#pragma once
// What Argo CD Image Updater would deploy next for one environment, and why a tag is not deploying
// (DESIGN.md §1, "Tags": "which tag Image Updater would deploy next").
//
// A pure model of the updater's choice (argocd-image-updater, registry-scanner/pkg/image/version.go
// and pkg/registry/registry.go): the registry's tags are filtered by allow-tags (Go regexp, matched
// unanchored) and ignore-tags (filepath.Match globs), then the update strategy picks one:
// newest-build the newest image config `created` (ties: the greatest name), alphabetical the
// greatest name, semver the highest version within the constraint, digest the one followed tag.
// The updater keeps no state we could read, so this is a prediction, not a report.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "backend/config/config.hpp"
#include "backend/core/time.hpp"
#include "backend/kube/views.hpp"
#include "backend/ops/semver_constraint.hpp"
#include "backend/registry/tag_model.hpp"

namespace mgate::backend::ops {

/// How the updater picks a tag.
enum class UpdateStrategy {
  kSemver,        ///< highest semantic version within the constraint (the updater's default)
  kNewestBuild,   ///< newest image config `created` (alias `latest`)
  kAlphabetical,  ///< lexically greatest tag name (alias `name`)
  kDigest,        ///< the digest of one named tag (the constraint)
};

/// "semver", "newest-build", "alphabetical", "digest".
const char* to_string(UpdateStrategy strategy);

/// Reads a strategy name as the updater does: case-insensitive, with the aliases `latest` and
/// `name`; "" is the default, semver. Nothing for an unknown name (the updater then uses semver).
std::optional<UpdateStrategy> parse_update_strategy(std::string_view name);

/// The updater's settings for the one image mgate watches.
struct UpdaterRule {
  std::string image;       ///< the image name the Application follows; "" = not known, not checked
  std::string allow_tags;  ///< "regexp:<RE2>", "any", or "" (= any)
  std::vector<std::string> ignore_tags;  ///< globs (Go filepath.Match)
  UpdateStrategy strategy = UpdateStrategy::kSemver;
  std::string constraint;          ///< semver: a version constraint ("~1.2"); digest: the tag followed
  std::string source;              ///< where the settings come from: "application" or "config"
  std::vector<std::string> notes;  ///< what a person should know about the settings
};

/// The rule for an environment. With the Application's image-updater settings (`app`), those are
/// the rule as a whole: a setting the Application leaves out takes the updater's default (semver,
/// any tag), never config.yaml's, because that is what the updater does; a differing config value
/// is noted. Without them (mgate cannot read the Application) config.yaml's deploy section stands in,
/// with no image name to check and no constraint.
UpdaterRule updater_rule(const config::DeployConfig& deploy, const std::optional<kube::UpdaterImage>& app);

/// One tag of the repository as the updater sees it.
struct RegistryTag {
  std::string tag;
  std::string digest;                           ///< "sha256:..."
  std::optional<Clock::time_point> build_date;  ///< the image config's `created`; nothing = unknown
};

/// The tags of a tag model: each commit's built and migrated tag, dated by the commit's build date
/// only when it came from the image config (a push time is not what newest-build compares).
/// Tags matching neither pattern are not in the model, so they are not here either.
std::vector<RegistryTag> registry_tags(const registry::TagModel& model);

/// Everything one prediction needs.
struct PredictionInput {
  UpdaterRule rule;
  std::string repository;          ///< the image name the tags come from ("host/path" or "path")
  std::vector<RegistryTag> tags;   ///< every tag of that repository
  std::string current_image;       ///< what the Deployment runs: "host/repo:tag[@sha256:…]"; "" = unknown
  std::vector<std::string> asked;  ///< tags to explain, typically the migrated ones
};

/// What became of one asked tag.
enum class TagVerdictKind {
  kWouldDeploy,        ///< the pick, and it differs from what runs now
  kRunning,            ///< the pick, and the Deployment already runs it
  kImageMismatch,      ///< the Application follows another image: no tag is considered
  kMissing,            ///< the registry has no such tag
  kInvalidAllowTags,   ///< allow-tags cannot be used: no tag is considered
  kNotAllowed,         ///< does not match allow-tags
  kIgnored,            ///< matches an ignore-tags glob
  kNotFollowed,        ///< digest strategy: not the followed tag (or no tag is followed)
  kNotSemver,          ///< semver strategy: not a semantic version
  kInvalidConstraint,  ///< semver strategy: the constraint does not parse, no tag is considered
  kOutsideConstraint,  ///< semver strategy: outside the constraint
  kUndated,            ///< newest-build strategy: no build date, so it cannot be ordered
  kBehindPick,         ///< a candidate, but another tag wins (older, lower, sorts before)
};

/// "would-deploy", "running", "image-mismatch", … for JSON.
const char* to_string(TagVerdictKind kind);

/// One asked tag and why it is or is not the next deploy.
struct TagVerdict {
  std::string tag;
  TagVerdictKind kind = TagVerdictKind::kMissing;
  std::string reason;  ///< for an on-call engineer: "ignored by ignore-tags 'stage-migrated-old*'"
};

/// The prediction for one environment.
struct Prediction {
  std::optional<RegistryTag> next;   ///< the tag the updater would pick; nothing when none qualifies
  bool changes = false;              ///< next differs from what runs now (or what runs is unknown)
  std::string why;                   ///< one sentence: why this tag, or why none
  std::vector<TagVerdict> verdicts;  ///< one per asked tag, in the order asked
  std::size_t candidates = 0;        ///< tags that passed every filter of the strategy
  std::vector<std::string> notes;    ///< the rule's notes and oddities found on the way (bad globs)
};

/// Predicts the updater's next pick and explains each asked tag. Pure: no I/O.
Prediction predict_next_deploy(const PredictionInput& input);

/// Whether `tag` matches the Go filepath.Match glob `pattern` (`*`, `?`, `[a-z]`, `[^…]`, `\`
/// escapes). A malformed pattern matches nothing, as the updater ignores filepath.ErrBadPattern.
bool glob_match(std::string_view pattern, std::string_view tag);

}  // namespace mgate::backend::ops
