#include "backend/registry/tag_model.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <unordered_map>

#include "backend/core/json_values.hpp"
#include "backend/core/strings.hpp"
#include "backend/registry/media_types.hpp"

namespace mgate::backend::registry {
namespace {

using nlohmann::json;

std::optional<TagState> state_of(TaggedImage&& image) {
  return TagState{std::move(image.tag), std::move(image.digest), std::move(image.media_type), image.pushed_at};
}

/// The child manifest of an index that dates it: linux/amd64, else the first real platform
/// (attestation manifests say "unknown/unknown"), else the first.
std::optional<std::string> dating_child(const json& index) {
  const auto manifests = index.find("manifests");
  if (manifests == index.end() || !manifests->is_array() || manifests->empty()) return std::nullopt;
  const json* first_real = nullptr;
  for (const auto& m : *manifests) {
    const auto platform = m.value("platform", json::object());
    const std::string os = platform.value("os", std::string{});
    const std::string arch = platform.value("architecture", std::string{});
    if (os == "linux" && arch == "amd64") return m.value("digest", std::string{});
    if (first_real == nullptr && !os.empty() && os != "unknown") first_real = &m;
  }
  return (first_real != nullptr ? *first_real : manifests->front()).value("digest", std::string{});
}

json state_json(const std::optional<TagState>& state) {
  if (!state) return nullptr;
  json j{{"tag", state->tag}, {"digest", state->digest}, {"media_type", state->media_type}};
  j["pushed_at"] = time_or_null(state->pushed_at);
  return j;
}

}  // namespace

const char* to_string(BuildDateSource source) {
  switch (source) {
    case BuildDateSource::kImageConfig:
      return "image-config";
    case BuildDateSource::kPushedTime:
      return "pushed-time";
    case BuildDateSource::kUnknown:
      break;
  }
  return "unknown";
}

const std::string& ShaImages::digest() const {
  static const std::string kNone;
  if (built) return built->digest;
  if (migrated) return migrated->digest;
  return kNone;
}

Result<TagPatterns> TagPatterns::for_env(const config::Environment& env) {
  auto built = TagPattern::parse(env.registry.built_tag, env.name);
  if (!built) return built.error();
  auto migrated = TagPattern::parse(env.registry.migrated_tag, env.name);
  if (!migrated) return migrated.error();
  return TagPatterns{std::move(*built), std::move(*migrated)};
}

std::vector<ShaImages> group_by_sha(std::vector<TaggedImage> images, const TagPatterns& patterns) {
  // One row per commit, found through an index; the tags' strings move into the rows, so a
  // repository of thousands of images is not held twice.
  std::vector<ShaImages> out;
  out.reserve(images.size());
  std::unordered_map<std::string, std::size_t> row_of;
  for (auto& image : images) {
    auto migrated_sha = patterns.migrated.match(image.tag);
    auto sha = migrated_sha ? migrated_sha : patterns.built.match(image.tag);
    if (!sha) continue;
    auto [it, added] = row_of.try_emplace(*sha, out.size());
    if (added) {
      out.emplace_back();
      out.back().sha = std::move(*sha);
    }
    ShaImages& row = out[it->second];
    (migrated_sha ? row.migrated : row.built) = state_of(std::move(image));
  }
  images = {};
  for (auto& row : out) {
    const std::optional<TagState>& primary = row.built ? row.built : row.migrated;
    row.pushed_at = primary->pushed_at;
    if (!row.pushed_at && row.migrated) row.pushed_at = row.migrated->pushed_at;
    row.media_type = primary->media_type;
    if (row.pushed_at) {
      row.build_date = row.pushed_at;
      row.build_date_source = BuildDateSource::kPushedTime;
    }
  }
  std::sort(out.begin(), out.end(), [](const ShaImages& a, const ShaImages& b) { return a.sha < b.sha; });
  if (out.capacity() > 2 * out.size()) out.shrink_to_fit();  // most images carry one of our tags
  return out;
}

void sort_newest_first(std::vector<ShaImages>& shas) {
  // A total order (commits are unique), so an in-place sort gives what a stable one would,
  // without a buffer the size of the repository.
  std::sort(shas.begin(), shas.end(), [](const ShaImages& a, const ShaImages& b) {
    if (a.build_date.has_value() != b.build_date.has_value()) return a.build_date.has_value();
    if (a.build_date && *a.build_date != *b.build_date) return *a.build_date > *b.build_date;
    if (a.pushed_at.has_value() != b.pushed_at.has_value()) return a.pushed_at.has_value();
    if (a.pushed_at && *a.pushed_at != *b.pushed_at) return *a.pushed_at > *b.pushed_at;
    return a.sha < b.sha;
  });
}

TagReader::TagReader(Registry& registry, TagPatterns patterns, TagReaderOptions options)
    : registry_(registry), patterns_(std::move(patterns)), options_(options) {}

Result<ImageDetails> TagReader::fetch_details(const std::string& digest) {
  auto manifest = registry_.get_manifest(digest);
  if (!manifest) return manifest.error();
  ImageDetails details{manifest->media_type, std::nullopt, {}};
  json doc = json::parse(manifest->bytes, nullptr, false);
  if (!doc.is_object()) {
    details.error = fmt::format("manifest {} is not a JSON object", digest);
    return details;
  }
  if (is_index(manifest->media_type)) {
    const auto child = dating_child(doc);
    if (!child || child->empty()) {
      details.error = fmt::format("index {} lists no manifest", digest);
      return details;
    }
    auto image = registry_.get_manifest(*child);
    if (!image) {
      details.error = image.error().message;
      return details;
    }
    doc = json::parse(image->bytes, nullptr, false);
    if (!doc.is_object()) {
      details.error = fmt::format("manifest {} is not a JSON object", *child);
      return details;
    }
  }
  const std::string config_digest = doc.value("config", json::object()).value("digest", std::string{});
  if (config_digest.empty()) {
    details.error = fmt::format("manifest {} names no image config", digest);
    return details;
  }
  auto blob = registry_.get_blob(config_digest);
  if (!blob) {
    // Only a registry that cannot serve blobs at all is remembered; other failures are retried.
    if (blob.error().code != ErrorCode::kUnavailable) return blob.error();
    details.error = blob.error().message;
    return details;
  }
  const json config = json::parse(*blob, nullptr, false);
  const std::string created = config.is_object() ? config.value("created", std::string{}) : std::string{};
  if (created.empty()) {
    details.error = fmt::format("image config {} has no created time", config_digest);
    return details;
  }
  auto when = parse_rfc3339(created);
  if (!when) {
    details.error = fmt::format("image config {}: {}", config_digest, when.error().message);
    return details;
  }
  details.created = *when;
  return details;
}

ImageDetails TagReader::details(const std::string& digest) {
  if (const auto it = cache_.find(digest); it != cache_.end()) return it->second;
  auto fetched = fetch_details(digest);
  if (!fetched) return ImageDetails{{}, std::nullopt, fetched.error().message};  // not kept: retried
  return cache_.emplace(digest, std::move(*fetched)).first->second;
}

Result<TagModel> TagReader::read() {
  TagModel model;
  model.registry = registry_.describe();
  model.built_pattern = patterns_.built.text();
  model.migrated_pattern = patterns_.migrated.text();
  std::size_t others = 0;
  auto images = registry_.list_images([&](std::string_view tag) {
    const bool ours = patterns_.built.match(tag) || patterns_.migrated.match(tag);
    if (!ours) ++others;
    return ours;
  });
  if (!images) return images.error();
  model.other_tags = others;
  model.shas = group_by_sha(std::move(*images), patterns_);
  sort_newest_first(model.shas);  // by push time here: the newest get their details first
  std::size_t detailed = 0;
  for (auto& row : model.shas) {
    if (detailed++ >= options_.max_detailed) break;
    const ImageDetails d = details(row.digest());
    if (row.media_type.empty()) row.media_type = d.media_type;
    for (auto* state : {&row.built, &row.migrated}) {
      if (*state && (*state)->media_type.empty() && (*state)->digest == row.digest()) (*state)->media_type = d.media_type;
    }
    if (d.created) {
      row.build_date = d.created;
      row.build_date_source = BuildDateSource::kImageConfig;
    } else {
      row.detail_error = d.error;
    }
  }
  sort_newest_first(model.shas);
  return model;
}

json to_json(const TagModel& model, const std::set<std::string>* only) {
  json shas = json::array();
  for (const auto& row : model.shas) {
    if (only != nullptr && !only->contains(row.sha)) continue;
    json j{{"sha", row.sha},
           {"built", state_json(row.built)},
           {"migrated", state_json(row.migrated)},
           {"same_digest", row.same_digest()},
           {"digest", row.digest()},
           {"media_type", row.media_type},
           {"pushed_at", time_or_null(row.pushed_at)},
           {"build_date", time_or_null(row.build_date)},
           {"build_date_source", to_string(row.build_date_source)}};
    if (!row.detail_error.empty()) j["detail_error"] = row.detail_error;
    shas.push_back(std::move(j));
  }
  return json{{"registry", model.registry},
              {"built_tag", model.built_pattern},
              {"migrated_tag", model.migrated_pattern},
              {"other_tags", model.other_tags},
              {"shas_total", model.shas.size()},
              {"shas", std::move(shas)}};
}

Result<const ShaImages*> find_sha(const TagModel& model, std::string_view sha) {
  std::vector<const ShaImages*> candidates;
  for (const auto& row : model.shas) {
    if (row.sha == sha) return &row;
    // Either side may be the shorter form: a {sha7} tag and a full sha typed, or the reverse.
    const std::size_t n = std::min(row.sha.size(), sha.size());
    if (n >= 7 && row.sha.compare(0, n, sha.substr(0, n)) == 0) candidates.push_back(&row);
  }
  if (candidates.size() == 1) return candidates.front();
  if (candidates.empty()) {
    return make_error(ErrorCode::kNotFound, fmt::format("no image in {} is tagged for commit {}", model.registry, sha));
  }
  std::vector<std::string> names;
  for (const auto* c : candidates) names.push_back(c->sha);
  return make_error(ErrorCode::kInvalidArgument,
                    fmt::format("commit {} is ambiguous in {}: {}", sha, model.registry, join(names, ", ")));
}

Result<std::string> resolve_commit(Registry& reg, const TagPatterns& patterns, const std::string& sha) {
  if (!is_commit_sha(sha)) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("'{}' is not a commit: give 7 to 64 lower-case hex digits", sha));
  }
  const std::string exact = patterns.built.short_only() ? sha.substr(0, 7) : sha;
  auto tagged = reg.resolve_tag(patterns.built.tag_for(exact));
  if (!tagged) return tagged.error();
  if (tagged->has_value()) return exact;
  auto images = reg.list_images([&](std::string_view tag) { return patterns.built.match(tag).has_value(); });
  if (!images) return images.error();
  TagModel model;
  model.registry = reg.describe();
  model.shas = group_by_sha(std::move(*images), patterns);
  auto row = find_sha(model, sha);
  if (!row) {
    if (row.error().code != ErrorCode::kNotFound) return row.error();
    return make_error(ErrorCode::kNotFound,
                      fmt::format("{} has no built tag {} (pattern {})", model.registry,
                                  patterns.built.tag_for(exact), patterns.built.text()));
  }
  return (*row)->sha;
}

}  // namespace mgate::backend::registry
