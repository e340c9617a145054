#pragma once
// Server-side printing: what the API server answers when kubectl asks for
// `application/json;as=Table;v=v1;g=meta.k8s.io`. kubectl prints the cells it is given, so the
// columns and cells here are what `kubectl get` shows. They follow the v1.31 printers
// (pkg/printers/internalversion/printers.go, always called with Wide: true by the server), the
// CRD table convertor for applications.argoproj.io, and the default convertor for the rest.

#include <chrono>
#include <string>
#include <vector>

#include "tests/sandbox/kubesim/api_error.hpp"

namespace mgate::kubesim {

/// The `includeObject` query parameter: what each row's `object` carries.
enum class IncludeObject { kNone, kMetadata, kObject };

/// Parses `includeObject` ("None", "Metadata", "Object"; "" = Metadata, the server's default).
/// Anything else throws 400 BadRequest `unrecognized includeObject value: "X"`, as the server does.
IncludeObject parse_include_object(const std::string& query_value);

/// duration.HumanDuration: "59s", "2m3s", "90m", "3h5m", "2d1h", "9d", "2y3d"; "0s" for
/// [-1s, 0), "<invalid>" below that.
std::string human_duration(std::chrono::seconds d);

/// duration.ShortHumanDuration: one unit only ("59s", "90m" → "1h", "9d", "2y").
std::string short_human_duration(std::chrono::seconds d);

/// A list as a meta.k8s.io/v1 Table. `resource_key` is a store key ("jobs.batch", "pods");
/// `items` the listed objects; `list_metadata` the list's metadata (resourceVersion, continue,
/// remainingItemCount are copied); `now` is what ages are measured against.
Json to_table(const std::string& resource_key, const std::vector<Json>& items, const Json& list_metadata,
              IncludeObject include, std::chrono::system_clock::time_point now);

/// One object as a Table (a GET with the Table Accept header): one row, and the object's
/// resourceVersion as the table's.
Json to_table(const std::string& resource_key, const Json& item, IncludeObject include,
              std::chrono::system_clock::time_point now);

}  // namespace mgate::kubesim
