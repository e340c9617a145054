#include "tests/sandbox/kubesim/table.hpp"

#include <algorithm>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <optional>
#include <set>
#include <utility>

#include <fmt/format.h>

#include "backend/core/time.hpp"
#include "tests/sandbox/kubesim/resources.hpp"

#include "tests/sandbox/kubesim/table_printers.hpp"

namespace mgate::kubesim {

using table_printers::at;
using table_printers::Printer;
using table_printers::printer_for;
using table_printers::Row;
using table_printers::str;
using table_printers::TimePoint;

namespace {

/// The row's object as includeObject asks: PartialObjectMetadata, the full object (with its
/// kind and apiVersion, which list items lack), or none.
Json row_object(const std::string& key, const Json& item, IncludeObject include) {
  switch (include) {
    case IncludeObject::kNone:
      return nullptr;
    case IncludeObject::kObject: {
      Json full = item;
      try {
        const ResourceInfo& info = resource(key);
        if (!full.contains("kind")) full["kind"] = info.kind;
        if (!full.contains("apiVersion")) full["apiVersion"] = info.api_version();
      } catch (const std::out_of_range&) {
        // an unknown resource keeps what it has
      }
      return full;
    }
    case IncludeObject::kMetadata:
      break;
  }
  return {{"kind", "PartialObjectMetadata"},
          {"apiVersion", "meta.k8s.io/v1"},
          {"metadata", item.contains("metadata") ? item["metadata"] : Json::object()}};
}

Json build_table(const std::string& key, const std::vector<Json>& items, Json metadata, IncludeObject include,
                 TimePoint now) {
  const Printer p = printer_for(key);
  Json rows = Json::array();
  for (const Json& item : items) {
    Row r = p.row(item, now);
    Json row = {{"cells", std::move(r.cells)}};
    if (!r.conditions.is_null()) row["conditions"] = std::move(r.conditions);
    // A TableRow's object is a RawExtension: with includeObject=None it is written as null.
    row["object"] = row_object(key, item, include);
    rows.push_back(std::move(row));
  }
  return {{"kind", "Table"},
          {"apiVersion", "meta.k8s.io/v1"},
          {"metadata", std::move(metadata)},
          {"columnDefinitions", p.columns},
          {"rows", std::move(rows)}};
}

}  // namespace

IncludeObject parse_include_object(const std::string& query_value) {
  if (query_value.empty() || query_value == "Metadata") return IncludeObject::kMetadata;
  if (query_value == "Object") return IncludeObject::kObject;
  if (query_value == "None") return IncludeObject::kNone;
  throw bad_request(fmt::format("unrecognized includeObject value: \"{}\"", query_value));
}

std::string human_duration(std::chrono::seconds d) {
  const std::int64_t seconds = d.count();
  if (seconds < -1) return "<invalid>";
  if (seconds < 0) return "0s";
  if (seconds < 60 * 2) return fmt::format("{}s", seconds);
  const std::int64_t minutes = seconds / 60;
  if (minutes < 10) {
    const std::int64_t s = seconds % 60;
    return s == 0 ? fmt::format("{}m", minutes) : fmt::format("{}m{}s", minutes, s);
  }
  if (minutes < 60 * 3) return fmt::format("{}m", minutes);
  const std::int64_t hours = seconds / 3600;
  if (hours < 8) {
    const std::int64_t m = minutes % 60;
    return m == 0 ? fmt::format("{}h", hours) : fmt::format("{}h{}m", hours, m);
  }
  if (hours < 48) return fmt::format("{}h", hours);
  if (hours < 24 * 8) {
    const std::int64_t h = hours % 24;
    return h == 0 ? fmt::format("{}d", hours / 24) : fmt::format("{}d{}h", hours / 24, h);
  }
  if (hours < 24 * 365 * 2) return fmt::format("{}d", hours / 24);
  if (hours < 24 * 365 * 8) {
    const std::int64_t dy = (hours / 24) % 365;
    return dy == 0 ? fmt::format("{}y", hours / 24 / 365) : fmt::format("{}y{}d", hours / 24 / 365, dy);
  }
  return fmt::format("{}y", hours / 24 / 365);
}

std::string short_human_duration(std::chrono::seconds d) {
  const std::int64_t seconds = d.count();
  if (seconds < -1) return "<invalid>";
  if (seconds < 0) return "0s";
  if (seconds < 60) return fmt::format("{}s", seconds);
  if (seconds / 60 < 60) return fmt::format("{}m", seconds / 60);
  const std::int64_t hours = seconds / 3600;
  if (hours < 24) return fmt::format("{}h", hours);
  if (hours < 24 * 365) return fmt::format("{}d", hours / 24);
  return fmt::format("{}y", hours / 24 / 365);
}

Json to_table(const std::string& resource_key, const std::vector<Json>& items, const Json& list_metadata,
              IncludeObject include, TimePoint now) {
  Json metadata = Json::object();
  for (const char* field : {"resourceVersion", "continue"}) {
    const std::string v = str(list_metadata, {field});
    if (!v.empty()) metadata[field] = v;
  }
  if (const Json* remaining = at(list_metadata, {"remainingItemCount"}); remaining) {
    metadata["remainingItemCount"] = *remaining;
  }
  return build_table(resource_key, items, std::move(metadata), include, now);
}

Json to_table(const std::string& resource_key, const Json& item, IncludeObject include, TimePoint now) {
  Json metadata = Json::object();
  const std::string rv = str(item, {"metadata", "resourceVersion"});
  if (!rv.empty()) metadata["resourceVersion"] = rv;
  return build_table(resource_key, {item}, std::move(metadata), include, now);
}

}  // namespace mgate::kubesim
