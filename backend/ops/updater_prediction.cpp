#include "backend/ops/updater_prediction.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <re2/re2.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <memory>
#include <utility>

#include "backend/kube/view_json.hpp"
#include "backend/ops/semver_constraint.hpp"

namespace mgate::backend::ops {
namespace {
// The helpers live in a named inner namespace: mgate_backend is a unity build, and the other ops
// files' anonymous helpers (refused, quote, …) would otherwise collide with these.
namespace upi {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

// Whole seconds print without ".000", as the registry's `created` is usually written.
std::string when(Clock::time_point t) {
  std::string s = format_rfc3339(t);
  if (s.ends_with(".000Z")) s.replace(s.size() - 5, 5, "Z");
  return s;
}

std::string plural(std::size_t n, std::string_view word) {
  return fmt::format("{} {}{}", n, word, n == 1 ? "" : "s");
}

// ---------------------------------------------------------------------------------------------
// Globs, as Go's filepath.Match (the updater's ignore-tags).

// One escaped-or-plain character of a class; nothing when the class is malformed there.
std::optional<char> class_char(std::string_view p, std::size_t& i) {
  if (i >= p.size() || p[i] == '-' || p[i] == ']') return std::nullopt;
  if (p[i] == '\\' && ++i >= p.size()) return std::nullopt;
  const char c = p[i++];
  if (i >= p.size()) return std::nullopt;  // the class is not closed
  return c;
}

// A class "[…]" starting after its '['; advances `i` past its ']'. Nothing when malformed.
std::optional<bool> class_match(std::string_view p, std::size_t& i, char c) {
  const bool negated = i < p.size() && p[i] == '^';
  if (negated) ++i;
  bool matched = false;
  for (int ranges = 0;; ++ranges) {
    if (i < p.size() && p[i] == ']' && ranges > 0) break;
    const auto lo = class_char(p, i);
    if (!lo) return std::nullopt;
    char hi = *lo;
    if (p[i] == '-') {
      const auto h = class_char(p, ++i);
      if (!h) return std::nullopt;
      hi = *h;
    }
    if (*lo <= c && c <= hi) matched = true;
  }
  ++i;
  return matched != negated;
}

bool glob_valid(std::string_view p) {
  for (std::size_t i = 0; i < p.size();) {
    if (p[i] == '\\') {
      if (i + 1 >= p.size()) return false;
      i += 2;
    } else if (p[i] == '[') {
      ++i;
      if (!class_match(p, i, '\0')) return false;
    } else {
      ++i;
    }
  }
  return true;
}

// Matches a pattern already known to be valid; '*' and '?' never match '/', as in Go.
bool glob_at(std::string_view p, std::string_view s) {
  while (!p.empty()) {
    if (p[0] == '*') {
      while (!p.empty() && p[0] == '*') p.remove_prefix(1);
      for (std::size_t i = 0; i <= s.size(); ++i) {
        if (glob_at(p, s.substr(i))) return true;
        if (i < s.size() && s[i] == '/') return false;
      }
      return false;
    }
    if (s.empty()) return false;
    std::size_t used = 1;
    if (p[0] == '?') {
      if (s[0] == '/') return false;
    } else if (p[0] == '[') {
      if (!*class_match(p, used, s[0])) return false;
    } else {
      if (p[0] == '\\') used = 2;
      if (p[used - 1] != s[0]) return false;
    }
    p.remove_prefix(used);
    s.remove_prefix(1);
  }
  return s.empty();
}

// ---------------------------------------------------------------------------------------------
// Image names.

struct ImageRef {
  std::string name, tag, digest;
};

ImageRef parse_ref(std::string_view ref) {
  const auto at = ref.find('@');
  return ImageRef{std::string(kube::image_name(ref)), std::string(kube::image_tag(ref)),
                  at == std::string_view::npos ? std::string() : std::string(ref.substr(at + 1))};
}

// Host and path, with Docker Hub's aliases and its implicit "library/" made explicit.
std::pair<std::string, std::string> split_name(std::string_view image) {
  const std::string name = parse_ref(image).name;
  std::string host, path = name;
  if (const auto slash = name.find('/'); slash != std::string::npos) {
    const std::string first = name.substr(0, slash);
    if (first.find_first_of(".:") != std::string::npos || first == "localhost") {
      host = lower(first);
      path = name.substr(slash + 1);
    }
  }
  if (host == "index.docker.io" || host == "registry-1.docker.io") host = "docker.io";
  if (host == "docker.io" && path.find('/') == std::string::npos) path = "library/" + path;
  return {host, path};
}

// With both hosts known they must agree; otherwise the repository paths decide.
bool same_image(std::string_view a, std::string_view b) {
  auto [ha, pa] = split_name(a);
  auto [hb, pb] = split_name(b);
  if (!ha.empty() && !hb.empty()) return ha == hb && pa == pb;
  for (std::string* p : {&pa, &pb}) {
    if (p->starts_with("library/")) p->erase(0, 8);
  }
  return pa == pb;
}

// ---------------------------------------------------------------------------------------------
// The prediction.

// allow-tags as the updater's ParseMatchfunc reads it: "any" (any case) or "<function>:<argument>"
// with the one function "regexp"; anything else matches no tag at all.
struct AllowFilter {
  std::unique_ptr<RE2> re;  ///< nothing: every tag is allowed, unless `invalid` says why none is
  std::string invalid;      ///< why no tag is allowed
};

AllowFilter allow_filter(const std::string& allow) {
  AllowFilter out;
  if (allow.empty() || lower(allow) == "any") return out;
  const auto colon = allow.find(':');
  if (colon == std::string::npos) {
    out.invalid = fmt::format("invalid allow-tags '{}': expected \"any\" or \"regexp:<expression>\"", allow);
  } else if (lower(allow.substr(0, colon)) != "regexp") {
    out.invalid =
        fmt::format("invalid allow-tags '{}': unknown match function '{}'", allow, allow.substr(0, colon));
  } else {
    RE2::Options options;
    options.set_log_errors(false);  // RE2 would print to stderr; the verdicts say it instead
    out.re = std::make_unique<RE2>(allow.substr(colon + 1), options);
    if (!out.re->ok()) out.invalid = "invalid allow-tags regexp: " + out.re->error();
  }
  return out;
}

// Why no tag at all is considered, checked before any tag is: the verdict every tag shares.
struct Blocker {
  TagVerdictKind kind;
  std::string reason;
};

// What the strategy-independent and strategy-specific filters make of every registry tag.
struct Sorted {
  std::vector<const RegistryTag*> candidates;
  std::map<std::string, TagVerdict> rejected;  ///< by tag
  std::map<std::string, SemverVersion> versions;     ///< semver candidates' versions, by tag
};

std::optional<TagVerdict> reject(const PredictionInput& in, const AllowFilter& allow,
                                 const std::optional<SemverConstraint>& constraint, const RegistryTag& t,
                                 std::optional<SemverVersion>& version) {
  const UpdaterRule& rule = in.rule;
  const auto verdict = [&](TagVerdictKind kind, std::string reason) {
    return TagVerdict{t.tag, kind, std::move(reason)};
  };
  if (allow.re && !RE2::PartialMatch(t.tag, *allow.re)) {  // Go's MatchString: unanchored
    return verdict(TagVerdictKind::kNotAllowed, "not allowed: does not match " + rule.allow_tags);
  }
  for (const std::string& glob : rule.ignore_tags) {
    if (glob_match(glob, t.tag))
      return verdict(TagVerdictKind::kIgnored, fmt::format("ignored by ignore-tags '{}'", glob));
  }
  switch (rule.strategy) {
    case UpdateStrategy::kDigest:
      if (t.tag != rule.constraint) {
        return verdict(TagVerdictKind::kNotFollowed,
                       fmt::format("not followed: the digest strategy follows only '{}'", rule.constraint));
      }
      break;
    case UpdateStrategy::kNewestBuild:
      if (!t.build_date) {
        return verdict(TagVerdictKind::kUndated,
                       "no build date: newest-build cannot order it (the updater skips a tag whose image "
                       "config it cannot read)");
      }
      break;
    case UpdateStrategy::kSemver:
      version = parse_semver(t.tag);
      if (!version) return verdict(TagVerdictKind::kNotSemver, "not a semantic version (semver strategy)");
      if (constraint && !constraint->satisfied_by(*version)) {
        return verdict(TagVerdictKind::kOutsideConstraint,
                       fmt::format("outside the version constraint '{}'", rule.constraint));
      }
      break;
    case UpdateStrategy::kAlphabetical:
      break;
  }
  return std::nullopt;
}

Sorted sort_tags(const PredictionInput& in, const AllowFilter& allow, const std::optional<SemverConstraint>& c) {
  Sorted out;
  for (const RegistryTag& t : in.tags) {
    std::optional<SemverVersion> version;
    if (auto r = reject(in, allow, c, t, version)) {
      out.rejected.emplace(t.tag, std::move(*r));
      continue;
    }
    out.candidates.push_back(&t);
    if (version) out.versions.emplace(t.tag, *version);
  }
  return out;
}

// -1, 0, 1 as `a` loses to, ties with, or beats `b` under the strategy, before the name decides
// a tie (the updater sorts ascending with the name as the second key and takes the last).
int rank(UpdateStrategy strategy, const Sorted& s, const RegistryTag& a, const RegistryTag& b) {
  switch (strategy) {
    case UpdateStrategy::kNewestBuild:
      if (*a.build_date == *b.build_date) return 0;
      return *a.build_date < *b.build_date ? -1 : 1;
    case UpdateStrategy::kSemver:
      return compare_semver(s.versions.at(a.tag), s.versions.at(b.tag));
    case UpdateStrategy::kAlphabetical:
    case UpdateStrategy::kDigest:
      return 0;
  }
  return 0;
}

const RegistryTag* best(UpdateStrategy strategy, const Sorted& s) {
  const RegistryTag* pick = nullptr;
  for (const RegistryTag* t : s.candidates) {
    if (pick == nullptr) {
      pick = t;
      continue;
    }
    const int r = rank(strategy, s, *t, *pick);
    if (r > 0 || (r == 0 && t->tag > pick->tag)) pick = t;
  }
  return pick;
}

std::string behind_reason(UpdateStrategy strategy, const Sorted& s, const RegistryTag& t,
                          const RegistryTag& pick) {
  const int r = rank(strategy, s, t, pick);
  switch (strategy) {
    case UpdateStrategy::kNewestBuild:
      if (r == 0) {
        return fmt::format("same build date ({}) as the current pick {}, which wins the tie by name",
                           when(*t.build_date), pick.tag);
      }
      return fmt::format("older build ({}) than the current pick {} ({})", when(*t.build_date), pick.tag,
                         when(*pick.build_date));
    case UpdateStrategy::kSemver:
      if (r == 0)
        return fmt::format("same version as the current pick {}, which wins the tie by name", pick.tag);
      return fmt::format("lower version than the current pick {}", pick.tag);
    case UpdateStrategy::kAlphabetical:
    case UpdateStrategy::kDigest:
      break;
  }
  return fmt::format("sorts before the current pick {} (alphabetical strategy)", pick.tag);
}

std::optional<Blocker> blocker(const PredictionInput& in, const AllowFilter& allow,
                               const std::optional<Result<SemverConstraint>>& constraint) {
  const UpdaterRule& rule = in.rule;
  if (!rule.image.empty() && !in.repository.empty() && !same_image(rule.image, in.repository)) {
    return Blocker{TagVerdictKind::kImageMismatch,
                   fmt::format("image name mismatch: the Application follows {}, the registry is {}",
                               rule.image, in.repository)};
  }
  if (!allow.invalid.empty()) return Blocker{TagVerdictKind::kInvalidAllowTags, allow.invalid};
  if (rule.strategy == UpdateStrategy::kDigest && rule.constraint.empty()) {
    return Blocker{TagVerdictKind::kNotFollowed,
                   "the digest strategy names no tag to follow (image-list entry <image>:<tag>), so the "
                   "updater considers no tag"};
  }
  if (constraint && !*constraint)
    return Blocker{TagVerdictKind::kInvalidConstraint, constraint->error().message};
  return std::nullopt;
}

std::string pick_reason(const UpdaterRule& rule, const RegistryTag& pick, std::size_t candidates) {
  const std::string of = "of " + plural(candidates, "candidate tag");
  switch (rule.strategy) {
    case UpdateStrategy::kNewestBuild:
      return fmt::format("{} has the newest build ({}) {}", pick.tag, when(*pick.build_date), of);
    case UpdateStrategy::kAlphabetical:
      return fmt::format("{} sorts last by name {}", pick.tag, of);
    case UpdateStrategy::kSemver:
      return fmt::format("{} is the highest version {}{}", pick.tag, of,
                         rule.constraint.empty() ? "" : " within '" + rule.constraint + "'");
    case UpdateStrategy::kDigest:
      return fmt::format("{} is the tag the digest strategy follows, at {}", pick.tag, pick.digest);
  }
  return pick.tag;
}

// Whether the pick differs from what runs; the digest strategy compares digests, and pins a
// reference that names none.
bool differs(const UpdaterRule& rule, const ImageRef& current, const RegistryTag& pick) {
  if (current.name.empty()) return true;
  if (rule.strategy == UpdateStrategy::kDigest) return current.digest != pick.digest;
  return current.tag != pick.tag;
}

std::string running_clause(const PredictionInput& in, const ImageRef& current, bool changes) {
  if (in.current_image.empty()) return "what the Deployment runs is not known";
  if (!changes) return "the Deployment already runs it";
  if (in.rule.strategy == UpdateStrategy::kDigest && current.digest.empty()) {
    return "the Deployment runs " + in.current_image + ", which names no digest, so the updater pins one";
  }
  return "the Deployment runs " + in.current_image + " now";
}

std::string none_reason(const PredictionInput& in) {
  if (in.tags.empty()) return "nothing would deploy: the registry has no tags";
  std::string filters = " under " + std::string(to_string(in.rule.strategy));
  if (!in.rule.allow_tags.empty()) filters += ", allow-tags " + in.rule.allow_tags;
  if (!in.rule.ignore_tags.empty())
    filters += fmt::format(", ignore-tags '{}'", fmt::join(in.rule.ignore_tags, "', '"));
  if (!in.rule.constraint.empty()) filters += ", constraint '" + in.rule.constraint + "'";
  return fmt::format("nothing would deploy: none of the {} in the registry qualifies{}",
                     plural(in.tags.size(), "tag"), filters);
}

TagVerdict verdict_for(const std::string& asked, const PredictionInput& in,
                       const std::optional<Blocker>& block, const Sorted& sorted, const RegistryTag* pick,
                       bool changes) {
  const auto found =
      std::find_if(in.tags.begin(), in.tags.end(), [&](const RegistryTag& t) { return t.tag == asked; });
  if (block && block->kind == TagVerdictKind::kImageMismatch) return {asked, block->kind, block->reason};
  if (found == in.tags.end()) return {asked, TagVerdictKind::kMissing, "not in the registry"};
  if (block) return {asked, block->kind, block->reason};
  if (auto r = sorted.rejected.find(asked); r != sorted.rejected.end()) return r->second;
  if (pick != nullptr && pick->tag == asked) {
    if (changes) return {asked, TagVerdictKind::kWouldDeploy, "would deploy next"};
    return {asked, TagVerdictKind::kRunning, "already running: the updater would keep it"};
  }
  return {asked, TagVerdictKind::kBehindPick, behind_reason(in.rule.strategy, sorted, *found, *pick)};
}

std::optional<Result<SemverConstraint>> constraint_of(const UpdaterRule& rule) {
  if (rule.strategy != UpdateStrategy::kSemver || rule.constraint.empty()) return std::nullopt;
  return SemverConstraint::parse(rule.constraint);
}

// A note when config.yaml's setting differs from the one the updater uses.
void note_difference(std::vector<std::string>& notes, std::string_view key, const std::string& config,
                     const std::string& used) {
  if (config == used) return;
  notes.push_back(fmt::format("config.yaml's {} '{}' differs from the Application's '{}', which applies", key,
                              config, used));
}

}  // namespace upi
}  // namespace

UpdaterRule updater_rule(const config::DeployConfig& deploy, const std::optional<kube::UpdaterImage>& app) {
  UpdaterRule rule;
  const auto config_strategy = parse_update_strategy(deploy.update_strategy);
  const std::string config_allow = deploy.allow_tags.value_or("");
  if (!app) {
    rule.source = "config";
    rule.allow_tags = config_allow;
    rule.ignore_tags = deploy.ignore_tags;
    rule.strategy = config_strategy.value_or(UpdateStrategy::kSemver);
    rule.notes.emplace_back(
        "the Argo CD Application's settings are not known: config.yaml's deploy section stands in");
    return rule;
  }
  rule.source = "application";
  rule.image = app->image;
  rule.constraint = app->constraint;
  rule.allow_tags = app->allow_tags;
  rule.ignore_tags = app->ignore_tags;
  const auto strategy = parse_update_strategy(app->update_strategy);
  if (!strategy) {
    // The updater logs "Unknown sort option" and goes on with semver.
    rule.notes.push_back(
        fmt::format("unknown update strategy '{}': the updater uses semver", app->update_strategy));
  }
  rule.strategy = strategy.value_or(UpdateStrategy::kSemver);
  if (config_strategy) {
    upi::note_difference(rule.notes, "update_strategy", to_string(*config_strategy),
                         to_string(rule.strategy));
  }
  const auto any = [](const std::string& a) { return a.empty() || upi::lower(a) == "any" ? "any" : a; };
  upi::note_difference(rule.notes, "allow_tags", any(config_allow), any(rule.allow_tags));
  upi::note_difference(rule.notes, "ignore_tags", fmt::format("{}", fmt::join(deploy.ignore_tags, ",")),
                       fmt::format("{}", fmt::join(rule.ignore_tags, ",")));
  return rule;
}

const char* to_string(UpdateStrategy strategy) {
  static constexpr const char* kNames[] = {"semver", "newest-build", "alphabetical", "digest"};  // enum order
  return kNames[static_cast<int>(strategy)];
}

std::optional<UpdateStrategy> parse_update_strategy(std::string_view name) {
  const std::string n = upi::lower(name);
  if (n.empty() || n == "semver") return UpdateStrategy::kSemver;
  if (n == "newest-build" || n == "latest") return UpdateStrategy::kNewestBuild;
  if (n == "alphabetical" || n == "name") return UpdateStrategy::kAlphabetical;
  if (n == "digest") return UpdateStrategy::kDigest;
  return std::nullopt;
}

const char* to_string(TagVerdictKind kind) {
  // In the enum's order.
  static constexpr const char* kNames[] = {
      "would-deploy",       "running", "image-mismatch", "missing",    "invalid-allow-tags",
      "not-allowed",        "ignored", "not-followed",   "not-semver", "invalid-constraint",
      "outside-constraint", "undated", "behind-pick"};
  return kNames[static_cast<int>(kind)];
}

bool glob_match(std::string_view pattern, std::string_view tag) {
  return upi::glob_valid(pattern) && upi::glob_at(pattern, tag);
}

Prediction predict_next_deploy(const PredictionInput& in) {
  Prediction out;
  out.notes = in.rule.notes;
  for (const std::string& glob : in.rule.ignore_tags) {
    if (!upi::glob_valid(glob))
      out.notes.push_back(fmt::format("ignore-tags '{}' is not a valid glob: it ignores nothing", glob));
  }
  const upi::AllowFilter allow = upi::allow_filter(in.rule.allow_tags);
  const auto constraint = upi::constraint_of(in.rule);
  const auto block = upi::blocker(in, allow, constraint);
  upi::Sorted sorted;
  if (!block) {
    std::optional<SemverConstraint> c;
    if (constraint) c = constraint->value();
    sorted = upi::sort_tags(in, allow, c);
  }
  const upi::ImageRef current = upi::parse_ref(in.current_image);
  const RegistryTag* pick = upi::best(in.rule.strategy, sorted);
  out.candidates = sorted.candidates.size();
  if (pick != nullptr) {
    out.next = *pick;
    out.changes = upi::differs(in.rule, current, *pick);
    out.why = fmt::format("{}; {}.", upi::pick_reason(in.rule, *pick, out.candidates),
                          upi::running_clause(in, current, out.changes));
  } else {
    out.why = (block ? "nothing would deploy: " + block->reason : upi::none_reason(in)) + ".";
  }
  for (const std::string& asked : in.asked) {
    out.verdicts.push_back(upi::verdict_for(asked, in, block, sorted, pick, out.changes));
  }
  return out;
}

std::vector<RegistryTag> registry_tags(const registry::TagModel& model) {
  std::vector<RegistryTag> out;
  for (const registry::ShaImages& sha : model.shas) {
    std::optional<Clock::time_point> date;
    if (sha.build_date_source == registry::BuildDateSource::kImageConfig) date = sha.build_date;
    for (const auto* state : {&sha.built, &sha.migrated}) {
      if (*state) out.push_back(RegistryTag{(*state)->tag, (*state)->digest, date});
    }
  }
  return out;
}

}  // namespace mgate::backend::ops
