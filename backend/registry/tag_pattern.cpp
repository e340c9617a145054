#include "backend/registry/tag_pattern.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace mgate::backend::registry {
namespace {

constexpr std::size_t kShortSha = 7;
constexpr std::size_t kLongestSha = 64;

bool is_hex_digit(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

std::size_t hex_run(std::string_view text, std::size_t from) {
  std::size_t n = 0;
  while (from + n < text.size() && is_hex_digit(text[from + n])) ++n;
  return n;
}

}  // namespace

bool is_commit_sha(std::string_view text) {
  return text.size() >= kShortSha && text.size() <= kLongestSha &&
         std::all_of(text.begin(), text.end(), is_hex_digit);
}

Result<TagPattern> TagPattern::parse(std::string_view pattern, std::string_view env) {
  TagPattern out;
  std::string literal;
  bool any = false;
  std::size_t i = 0;
  while (i < pattern.size()) {
    if (pattern[i] != '{') {
      out.text_ += pattern[i];
      literal += pattern[i++];
      continue;
    }
    const std::size_t close = pattern.find('}', i);
    const std::string_view name =
        close == std::string_view::npos ? std::string_view() : pattern.substr(i + 1, close - i - 1);
    if (name == "env") {
      out.text_ += env;
      literal += env;
    } else if (name == "sha" || name == "sha7") {
      out.text_ += pattern.substr(i, close - i + 1);
      out.parts_.push_back(Part{std::move(literal), name == "sha7", true});
      literal.clear();
      if (name == "sha") out.short_only_ = false;
      any = true;
    } else {
      return make_error(ErrorCode::kInvalidArgument,
                        fmt::format("tag pattern {}: unknown or unclosed placeholder at character {}", pattern,
                                    i + 1));
    }
    i = close + 1;
  }
  if (!any) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("tag pattern {} names no commit: it needs {{sha}} or {{sha7}}", pattern));
  }
  out.parts_.push_back(Part{std::move(literal), false, false});
  return out;
}

std::optional<std::string> TagPattern::match(std::string_view tag) const {
  // Literals never hold a placeholder's hex run ambiguously in practice ("stage-", "-migrated-"),
  // but a {sha} followed by a literal that starts with a hex digit could; try every length.
  std::string sha;
  std::size_t pos = 0;
  for (const Part& part : parts_) {
    if (tag.substr(pos, part.literal.size()) != part.literal) return std::nullopt;
    pos += part.literal.size();
    if (!part.placeholder) break;
    const std::size_t run = hex_run(tag, pos);
    std::size_t len = 0;
    if (part.sha7) {
      if (run < kShortSha) return std::nullopt;
      len = kShortSha;
    } else {
      if (run < kShortSha) return std::nullopt;
      len = std::min(run, kLongestSha);
      // Leave the hex digits the next literal needs.
      const std::size_t idx = static_cast<std::size_t>(&part - parts_.data());
      const std::string& next = parts_[idx + 1].literal;
      std::size_t lead = 0;
      while (lead < next.size() && is_hex_digit(next[lead])) ++lead;
      if (lead > 0 && len == run) {
        if (run < kShortSha + lead) return std::nullopt;
        len = run - lead;
      }
    }
    const std::string_view found = tag.substr(pos, len);
    if (sha.empty()) {
      sha = std::string(found);
    } else if (found.size() >= sha.size() ? found.substr(0, sha.size()) != sha : sha.substr(0, found.size()) != found) {
      return std::nullopt;  // two placeholders naming different commits
    } else if (found.size() > sha.size()) {
      sha = std::string(found);
    }
    pos += len;
  }
  if (pos != tag.size()) return std::nullopt;
  return sha;
}

std::string TagPattern::tag_for(std::string_view sha) const {
  std::string out;
  for (const Part& part : parts_) {
    out += part.literal;
    if (part.placeholder) out += part.sha7 ? sha.substr(0, kShortSha) : sha;
  }
  return out;
}

}  // namespace mgate::backend::registry
