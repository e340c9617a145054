#include "backend/aws/canonical_request.hpp"

#include <algorithm>
#include <cctype>

namespace mgate::backend::aws {
namespace {

bool is_unreserved(unsigned char c) {
  return std::isalnum(c) != 0 || c == '-' || c == '.' || c == '_' || c == '~';
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

// Trim both ends and collapse inner whitespace runs to one space.
std::string collapse_spaces(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  bool pending_space = false;
  for (const char c : v) {
    if (is_space(c)) {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out.push_back(' ');
    pending_space = false;
    out.push_back(c);
  }
  return out;
}

}  // namespace

std::string to_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string uri_encode(std::string_view s, bool keep_slash) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size() * 3);
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (is_unreserved(c) || (keep_slash && c == '/')) {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(kDigits[c >> 4]);
      out.push_back(kDigits[c & 0x0f]);
    }
  }
  return out;
}

std::string percent_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      const int hi = hex_value(s[i + 1]);
      const int lo = hex_value(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(s[i]);
  }
  return out;
}

std::string normalize_path(std::string_view path) {
  std::vector<std::string_view> segments;
  std::string_view last;
  std::size_t pos = 0;
  while (pos <= path.size()) {
    const std::size_t end = std::min(path.find('/', pos), path.size());
    const std::string_view seg = path.substr(pos, end - pos);
    last = seg;
    if (seg == "..") {
      if (!segments.empty()) segments.pop_back();
    } else if (!seg.empty() && seg != ".") {
      segments.push_back(seg);
    }
    pos = end + 1;
  }
  std::string out;
  for (const auto seg : segments) {
    out.push_back('/');
    out.append(seg);
  }
  // "/a/b/" and "/a/b/.." both name a directory; keep the slash that says so.
  const bool directory = last.empty() || last == "." || last == "..";
  if (out.empty() || directory) out.push_back('/');
  return out;
}

std::string canonical_path(std::string_view path, bool normalize, bool double_encode) {
  std::string p = normalize || path.empty() ? normalize_path(path) : std::string(path);
  return double_encode ? uri_encode(p, true) : p;
}

std::string canonical_query(std::string_view query) {
  std::vector<std::pair<std::string, std::string>> params;
  std::size_t pos = 0;
  while (pos <= query.size()) {
    const std::size_t end = std::min(query.find('&', pos), query.size());
    const std::string_view part = query.substr(pos, end - pos);
    pos = end + 1;
    if (part.empty()) continue;
    const std::size_t eq = part.find('=');
    const std::string_view key = part.substr(0, eq);
    const std::string_view value = eq == std::string_view::npos ? "" : part.substr(eq + 1);
    params.emplace_back(uri_encode(percent_decode(key), false), uri_encode(percent_decode(value), false));
  }
  std::sort(params.begin(), params.end());
  std::string out;
  for (const auto& [k, v] : params) {
    if (!out.empty()) out.push_back('&');
    out.append(k).append("=").append(v);
  }
  return out;
}

CanonicalHeaders canonical_headers(const std::vector<Header>& headers) {
  std::vector<std::pair<std::string, std::string>> items;
  items.reserve(headers.size());
  for (const auto& [name, value] : headers) {
    items.emplace_back(to_lower(collapse_spaces(name)), collapse_spaces(value));
  }
  std::stable_sort(items.begin(), items.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  CanonicalHeaders out;
  for (std::size_t i = 0; i < items.size(); ++i) {
    const bool repeat = i > 0 && items[i].first == items[i - 1].first;
    if (repeat) {
      out.block.pop_back();  // the '\n' of the previous value: append to that line
      out.block.append(",").append(items[i].second).append("\n");
      continue;
    }
    if (!out.signed_headers.empty()) out.signed_headers.push_back(';');
    out.signed_headers.append(items[i].first);
    out.block.append(items[i].first).append(":").append(items[i].second).append("\n");
  }
  return out;
}

}  // namespace mgate::backend::aws
