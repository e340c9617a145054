#pragma once
// The per-environment tag model (DESIGN.md §1, "Tags"): the registry's tags grouped by the
// commit they name through the environment's built_tag / migrated_tag patterns.

#include <cstddef>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "backend/config/config.hpp"
#include "backend/core/error.hpp"
#include "backend/core/time.hpp"
#include "backend/registry/registry.hpp"
#include "backend/registry/tag_pattern.hpp"

namespace mgate::backend::registry {

/// Where a build date comes from.
enum class BuildDateSource {
  kImageConfig,  ///< the image config's `created`, as Image Updater's newest-build reads it
  kPushedTime,   ///< the config could not be read: the registry's push time stands in
  kUnknown,      ///< neither is known
};

/// "image-config", "pushed-time", "unknown".
const char* to_string(BuildDateSource source);

/// One tag of a commit and what it points at.
struct TagState {
  std::string tag;
  std::string digest;                          ///< "sha256:..."
  std::string media_type;                      ///< of the manifest; "" when not known
  std::optional<Clock::time_point> pushed_at;  ///< ECR's imagePushedAt; nothing on OCI
};

/// Everything the registry says about one commit.
struct ShaImages {
  std::string sha;                   ///< as the tags write it (7 to 64 hex digits)
  std::optional<TagState> built;     ///< the built tag ("stage-<sha>"), when pushed
  std::optional<TagState> migrated;  ///< the migrated tag ("stage-migrated-<sha>"), when promoted
  std::optional<Clock::time_point> pushed_at;   ///< the built tag's push time, else the migrated's
  std::optional<Clock::time_point> build_date;  ///< see build_date_source
  BuildDateSource build_date_source = BuildDateSource::kUnknown;
  std::string media_type;  ///< the built image's manifest media type, else the migrated's
  std::string detail_error;  ///< why the image config could not be read, when it could not

  /// True when both tags exist and point at one digest.
  bool same_digest() const { return built && migrated && built->digest == migrated->digest; }
  /// The digest the commit's image has (built's, else migrated's).
  const std::string& digest() const;
};

/// One environment's tags.
struct TagModel {
  std::string registry;         ///< Registry::describe()
  std::string built_pattern;    ///< "stage-{sha}"
  std::string migrated_pattern; ///< "stage-migrated-{sha}"
  std::vector<ShaImages> shas;  ///< newest build first; commits with no date last, by sha
  std::size_t other_tags = 0;   ///< tags that match neither pattern (latest, other envs' tags)
};

/// The two patterns of an environment, {env} substituted.
struct TagPatterns {
  TagPattern built;
  TagPattern migrated;
  /// From the environment's registry section.
  static Result<TagPatterns> for_env(const config::Environment& env);
};

/// The tags grouped by commit, without build dates: pure, for tests and for read().
/// A tag matching both patterns counts as migrated when it matches the migrated one.
/// Rows come ordered by sha.
std::vector<ShaImages> group_by_sha(std::vector<TaggedImage> images, const TagPatterns& patterns);

/// Orders commits newest build first (then newest push), undated ones last, ties by sha.
void sort_newest_first(std::vector<ShaImages>& shas);

/// What one digest's manifest and image config say; a digest's content never changes, so the
/// reader keeps these for as long as it lives.
struct ImageDetails {
  std::string media_type;
  std::optional<Clock::time_point> created;  ///< the image config's `created`
  std::string error;                         ///< why `created` is missing
};

/// How much a read may ask of the registry.
struct TagReaderOptions {
  /// Image configs are read for this many commits at most, newest pushed first (one manifest and
  /// one blob request each, once per digest); older commits keep their push time as build date.
  std::size_t max_detailed = 100;
};

/// Reads one environment's tag model from its registry, keeping image details between reads.
/// One thread at a time, like the Registry it uses.
class TagReader {
 public:
  TagReader(Registry& registry, TagPatterns patterns, TagReaderOptions options = {});

  /// Lists the tags, groups them, reads image details that are not known yet.
  /// A failing listing is the error; a failing detail only marks its commit (detail_error).
  Result<TagModel> read();

  /// The image details of `digest` (cached): its manifest media type and its config's `created`.
  /// An index (multi-platform) is dated by its linux/amd64 image, else its first real platform.
  ImageDetails details(const std::string& digest);

 private:
  Result<ImageDetails> fetch_details(const std::string& digest);

  Registry& registry_;
  TagPatterns patterns_;
  TagReaderOptions options_;
  std::map<std::string, ImageDetails> cache_;  ///< by digest
};

/// The model as JSON (the `mgate tags --json` environment object, see docs/cli-json.md); with
/// `only`, just the commits it names (`shas_total` still counts them all).
nlohmann::json to_json(const TagModel& model, const std::set<std::string>* only = nullptr);

/// The ShaImages for `sha` (exact, or a unique prefix of at least 7 digits); kNotFound when no
/// commit matches, kInvalidArgument naming the candidates when several do.
Result<const ShaImages*> find_sha(const TagModel& model, std::string_view sha);

/// The commit as the env's tags write it: `sha` when its built tag exists, else the one commit
/// whose built tags start with it. kInvalidArgument for a non-sha, kNotFound when nothing is built.
Result<std::string> resolve_commit(Registry& reg, const TagPatterns& patterns, const std::string& sha);

}  // namespace mgate::backend::registry
