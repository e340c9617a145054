#pragma once
// Internal to table.cpp: the per-resource printers (columns and rows as v1.31's
// pkg/printers/internalversion/printers.go and the CRD table convertor build them).

#include <chrono>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

#include "tests/sandbox/kubesim/api_error.hpp"

namespace mgate::kubesim::table_printers {

using Clock = std::chrono::system_clock;
using TimePoint = Clock::time_point;

/// One printed row: its cells, and the row conditions the pod printer sets.
struct Row {
  Json cells = Json::array();
  Json conditions;  // null: none
};

/// A resource's printer: its column definitions and how an item becomes a row.
struct Printer {
  std::vector<Json> columns;
  std::function<Row(const Json&, TimePoint)> row;
};

/// The printer of a resource (store key); unknown keys get the default convertor's.
Printer printer_for(const std::string& key);

/// The value at `path`, or nullptr when a step is missing or the value is null.
const Json* at(const Json& j, std::initializer_list<const char*> path);
/// The string at `path`, or "".
std::string str(const Json& j, std::initializer_list<const char*> path);
/// The integer at `path`, or `def`.
std::int64_t num(const Json& j, std::initializer_list<const char*> path, std::int64_t def = 0);
/// A timestamp field; nullopt when absent, null or unparseable (metav1.Time's zero value).
std::optional<TimePoint> time_at(const Json& j, std::initializer_list<const char*> path);
/// translateTimestampSince: "<unknown>" for a zero time.
std::string since(const std::optional<TimePoint>& t, TimePoint now);
/// True when the item's status condition of `type` has status "True".
bool condition_true(const Json& item, const char* type);
/// The AGE cell of an item.
std::string age(const Json& item, TimePoint now);

/// A pod's row as printPod builds it (table_pod_printer.cpp).
Row pod_row(const Json& pod, TimePoint now);

}  // namespace mgate::kubesim::table_printers
