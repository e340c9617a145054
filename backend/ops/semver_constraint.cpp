#include "backend/ops/semver_constraint.hpp"

#include <fmt/format.h>
#include <re2/re2.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <utility>

namespace mgate::backend::ops {

// The parsed form lives in a named namespace with linkage, not an anonymous one: SemverConstraint
// holds it, and GCC warns (-Wsubobject-linkage) when a class with linkage uses an anonymous type
// outside the main file, which a unity batch makes of this file.
namespace semver_detail {

enum class Op { kEq, kNe, kGt, kGe, kLt, kLe, kTilde, kCaret };

// One comparison of a constraint: a version whose parts may be wildcards (x, X, * or absent).
struct Comparison {
  Op op = Op::kEq;
  SemverVersion v;  // wildcard parts read as 0
  bool major_any = false, minor_any = false, patch_any = false;
};

// Alternatives (||) of comparisons that must all hold.
struct Alternatives {
  std::vector<std::vector<Comparison>> any;
};

}  // namespace semver_detail

namespace {
// The helpers live in a named inner namespace: mgate_backend is a unity build, and the other ops
// files' anonymous helpers would otherwise collide with these.
namespace semver_impl {

using semver_detail::Comparison;
using semver_detail::Op;

std::vector<std::string> split_dots(const std::string& s) {
  std::vector<std::string> out;
  if (s.empty()) return out;
  std::size_t start = 0;
  for (std::size_t dot; (dot = s.find('.', start)) != std::string::npos; start = dot + 1) {
    out.push_back(s.substr(start, dot - start));
  }
  out.push_back(s.substr(start));
  return out;
}

bool to_number(const std::string& s, std::uint64_t& out) {
  if (s.empty()) return true;  // an absent part counts as 0
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && end == s.data() + s.size();
}

bool all_digits(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
}

int compare_identifier(const std::string& a, const std::string& b) {
  const bool na = all_digits(a), nb = all_digits(b);
  if (na && nb) {  // numerically: by length first (no leading zeros), then digit by digit
    if (a.size() != b.size()) return a.size() < b.size() ? -1 : 1;
  } else if (na != nb) {
    return na ? -1 : 1;  // numeric identifiers sort before alphanumeric ones
  }
  const int c = a.compare(b);
  return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

std::optional<Comparison> parse_term(std::string_view token) {
  static constexpr std::pair<std::string_view, Op> kOps[] = {
      {">=", Op::kGe}, {"=>", Op::kGe},    {"<=", Op::kLe},  {"=<", Op::kLe},
      {"!=", Op::kNe}, {"~>", Op::kTilde}, {">", Op::kGt},   {"<", Op::kLt},
      {"=", Op::kEq},  {"~", Op::kTilde},  {"^", Op::kCaret}};
  Comparison t;
  for (const auto& [text, op] : kOps) {
    if (token.starts_with(text)) {
      t.op = op;
      token.remove_prefix(text.size());
      break;
    }
  }
  static const RE2 re(R"(v?([0-9]+|[xX*])(?:\.([0-9]+|[xX*]))?(?:\.([0-9]+|[xX*]))?)"
                      R"((?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?)");
  std::string major, minor, patch, pre;
  if (!RE2::FullMatch(token, re, &major, &minor, &patch, &pre)) return std::nullopt;
  const auto wild = [](const std::string& s) { return s.empty() || s == "x" || s == "X" || s == "*"; };
  t.major_any = wild(major);
  t.minor_any = t.major_any || wild(minor);
  t.patch_any = t.minor_any || wild(patch);
  if ((!t.major_any && !to_number(major, t.v.major)) || (!t.minor_any && !to_number(minor, t.v.minor)) ||
      (!t.patch_any && !to_number(patch, t.v.patch))) {
    return std::nullopt;
  }
  t.v.prerelease = split_dots(pre);
  return t;
}

// Within the range a wildcard term names (=1.2 is 1.2.x, as in Masterminds v3).
bool within(const Comparison& t, const SemverVersion& v) {
  if (t.major_any) return true;
  if (t.minor_any) return v.major == t.v.major;
  if (t.patch_any) return v.major == t.v.major && v.minor == t.v.minor;
  return compare_semver(v, t.v) == 0;
}

bool check(const Comparison& t, const SemverVersion& v) {
  // A prerelease satisfies only a comparison that itself names a prerelease ("-0" opts in).
  if (!v.prerelease.empty() && t.v.prerelease.empty()) return false;
  const SemverVersion& c = t.v;
  const int cmp = compare_semver(v, c);
  switch (t.op) {
    case Op::kEq:
      return within(t, v);
    case Op::kNe:
      return !within(t, v);
    case Op::kGe:
      return cmp >= 0;
    case Op::kLt:
      return cmp < 0;
    case Op::kGt:
      if (t.major_any) return false;
      if (t.minor_any) return v.major > c.major;
      if (t.patch_any) return v.major > c.major || (v.major == c.major && v.minor > c.minor);
      return cmp > 0;
    case Op::kLe:
      if (t.major_any) return true;
      if (t.minor_any) return v.major <= c.major;
      if (t.patch_any) return v.major < c.major || (v.major == c.major && v.minor <= c.minor);
      return cmp <= 0;
    case Op::kTilde:
      if (cmp < 0) return false;
      if (t.minor_any) return t.major_any || v.major == c.major;
      return v.major == c.major && v.minor == c.minor;
    case Op::kCaret:
      if (cmp < 0) return false;
      if (t.major_any) return true;
      if (c.major > 0 || t.minor_any) return v.major == c.major;
      if (c.minor > 0 || t.patch_any) return v.major == 0 && v.minor == c.minor;
      return v.major == 0 && v.minor == 0 && v.patch == c.patch;
  }
  return false;
}

// Splits one ||-alternative into comparisons: commas and spaces separate them, an operator may
// stand apart from its version (">= 1.2"), and "A - B" is the range >=A, <=B.
std::optional<std::vector<Comparison>> parse_alternative(std::string_view text) {
  std::vector<std::string> tokens;
  std::string cur;
  for (const char c : text) {
    if (c == ',' || std::isspace(static_cast<unsigned char>(c))) {
      if (!cur.empty()) tokens.push_back(std::exchange(cur, {}));
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) tokens.push_back(cur);
  std::vector<Comparison> terms;
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    std::string token = tokens[i];
    if (i + 2 < tokens.size() && tokens[i + 1] == "-") {
      auto lo = parse_term(">=" + token), hi = parse_term("<=" + tokens[i + 2]);
      if (!lo || !hi) return std::nullopt;
      terms.push_back(*lo);
      terms.push_back(*hi);
      i += 2;
      continue;
    }
    if (token.find_first_not_of("<>=!~^") == std::string::npos && i + 1 < tokens.size()) token += tokens[++i];
    auto term = parse_term(token);
    if (!term) return std::nullopt;
    terms.push_back(*term);
  }
  if (terms.empty()) return std::nullopt;
  return terms;
}

}  // namespace semver_impl
}  // namespace

// Masterminds' semVerRegex: 1 to 3 parts without leading zeros, optional prerelease and metadata.
std::optional<SemverVersion> parse_semver(std::string_view text) {
  static const RE2 re(
      R"(v?(0|[1-9]\d*)(?:\.(0|[1-9]\d*))?(?:\.(0|[1-9]\d*))?)"
      R"((?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?)"
      R"((?:\+[0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*)?)");
  std::string major, minor, patch, pre;
  if (!RE2::FullMatch(text, re, &major, &minor, &patch, &pre)) return std::nullopt;
  SemverVersion v;
  if (!semver_impl::to_number(major, v.major) || !semver_impl::to_number(minor, v.minor) ||
      !semver_impl::to_number(patch, v.patch)) {
    return std::nullopt;  // a part beyond 64 bits
  }
  v.prerelease = semver_impl::split_dots(pre);
  return v;
}

int compare_semver(const SemverVersion& a, const SemverVersion& b) {
  for (auto [x, y] : {std::pair{a.major, b.major}, {a.minor, b.minor}, {a.patch, b.patch}}) {
    if (x != y) return x < y ? -1 : 1;
  }
  const auto& pa = a.prerelease;
  const auto& pb = b.prerelease;
  if (pa.empty() || pb.empty()) return pa.empty() == pb.empty() ? 0 : (pa.empty() ? 1 : -1);
  for (std::size_t i = 0; i < pa.size() && i < pb.size(); ++i) {
    if (const int c = semver_impl::compare_identifier(pa[i], pb[i]); c != 0) return c;
  }
  if (pa.size() == pb.size()) return 0;
  return pa.size() < pb.size() ? -1 : 1;
}

SemverConstraint::SemverConstraint(std::shared_ptr<const semver_detail::Alternatives> alternatives)
    : alternatives_(std::move(alternatives)) {}

Result<SemverConstraint> SemverConstraint::parse(std::string_view text) {
  auto out = std::make_shared<semver_detail::Alternatives>();
  std::size_t start = 0;
  while (true) {
    const std::size_t bar = text.find("||", start);
    const auto part =
        text.substr(start, bar == std::string_view::npos ? std::string_view::npos : bar - start);
    auto terms = semver_impl::parse_alternative(part);
    if (!terms) {
      const auto first = part.find_first_not_of(' '), last = part.find_last_not_of(' ');
      const auto shown = first == std::string_view::npos ? part : part.substr(first, last - first + 1);
      return make_error(ErrorCode::kInvalidArgument,
                        fmt::format("invalid semver constraint '{}': cannot read '{}'", text, shown));
    }
    out->any.push_back(std::move(*terms));
    if (bar == std::string_view::npos) return SemverConstraint(std::move(out));
    start = bar + 2;
  }
}

bool SemverConstraint::satisfied_by(const SemverVersion& version) const {
  const auto& any = alternatives_->any;
  return std::any_of(any.begin(), any.end(), [&](const std::vector<semver_detail::Comparison>& all) {
    return std::all_of(all.begin(), all.end(),
                       [&](const semver_detail::Comparison& t) { return semver_impl::check(t, version); });
  });
}

bool is_semver_tag(std::string_view name) {
  return parse_semver(name).has_value();
}

Result<bool> semver_satisfies(std::string_view constraint, std::string_view version) {
  auto c = SemverConstraint::parse(constraint);
  if (!c) return c.error();
  const auto v = parse_semver(version);
  if (!v) {
    return make_error(ErrorCode::kInvalidArgument, fmt::format("'{}' is not a semantic version", version));
  }
  return c->satisfied_by(*v);
}

}  // namespace mgate::backend::ops
