#pragma once
// RFC 8288 Link headers, for tag-list pagination:
// `Link: </v2/name/tags/list?last=x&n=100>; rel="next"`.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mgate::backend::registry {

/// The target of the first link whose rel (quoted or not, any case, possibly one of several
/// space-separated relations) is rel, among every Link value (each may list several links
/// separated by commas). The target is returned as written, usually relative.
std::optional<std::string> find_link(const std::vector<std::string>& header_values, std::string_view rel);

}  // namespace mgate::backend::registry
