#pragma once
// The pieces of a SigV4 canonical request: path, query string and headers.
// Each is a pure function of its input so the test vectors can check them one by one.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mgate::backend::aws {

/// One HTTP header as sent: name in any case, value untrimmed; repeats allowed.
using Header = std::pair<std::string, std::string>;

/// RFC 3986 percent-encoding as SigV4 wants it: unreserved characters (A-Z a-z 0-9 - . _ ~)
/// kept, every other byte as upper-case %XX; '/' kept only when `keep_slash`.
std::string uri_encode(std::string_view s, bool keep_slash);

/// Decodes valid %XX escapes; anything else (including '+') is kept as is.
std::string percent_decode(std::string_view s);

/// Removes "." and ".." segments and empty segments ("//"), keeping a trailing slash
/// (RFC 3986 5.2.4 plus the slash collapsing AWS does). "" and "//" become "/".
std::string normalize_path(std::string_view path);

/// The canonical URI line: optionally normalized, then encoded once more when
/// `double_encode` (every service but S3 encodes the already-encoded wire path again).
std::string canonical_path(std::string_view path, bool normalize, bool double_encode);

/// The canonical query line: parameters decoded and re-encoded (so raw UTF-8 and
/// already-encoded input agree), sorted by key then value, a missing value as "k=".
std::string canonical_query(std::string_view query);

/// Canonical header block and the signed-headers list, computed together.
struct CanonicalHeaders {
  std::string block;           ///< "name:value\n" per distinct header, sorted by name
  std::string signed_headers;  ///< "host;x-amz-date"
};

/// Lower-cases names, sorts them (stably, so repeats keep their order), joins repeated
/// values with ',', trims values and collapses inner runs of whitespace (including the
/// line breaks of a folded multi-line value) into one space.
CanonicalHeaders canonical_headers(const std::vector<Header>& headers);

/// Lower-case ASCII copy.
std::string to_lower(std::string_view s);

}  // namespace mgate::backend::aws
