#include "backend/db/stamp_sql.hpp"

#include <fmt/format.h>

namespace mgate::backend::db {
namespace {

// "mgat": the first advisory key of every mgate lock, so our locks are easy to spot in pg_locks
// and unlikely to meet an application's own single-key advisory locks.
constexpr std::int32_t kAdvisorySpace = 0x6d676174;
// Room for the statements of a stamp beyond its lock wait.
constexpr std::chrono::milliseconds kStatementAllowance{10000};

std::uint32_t fnv1a(std::string_view text) {
  std::uint32_t hash = 2166136261U;
  for (const char c : text) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 16777619U;
  }
  return hash;
}

}  // namespace

std::string VersionTable::qualified_sql() const {
  return quote_identifier(schema) + "." + quote_identifier(name);
}

std::string VersionTable::display() const {
  return schema + "." + name;
}

std::string VersionTable::column_display() const {
  return display() + ".version_num";
}

std::string quote_identifier(std::string_view identifier) {
  std::string out = "\"";
  for (const char c : identifier) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

std::string quote_literal(std::string_view text) {
  const bool backslash = text.find('\\') != std::string_view::npos;
  std::string out = backslash ? "E'" : "'";
  for (const char c : text) {
    if (c == '\'' || (backslash && c == '\\')) out += c;
    out += c;
  }
  out += '\'';
  return out;
}

AdvisoryKey advisory_key(const VersionTable& table) {
  // The conversion to int32 wraps (defined since C++20): pg_advisory_xact_lock takes int4 keys.
  return AdvisoryKey{kAdvisorySpace, static_cast<std::int32_t>(fnv1a(table.qualified_sql()))};
}

std::string StampSql::set_lock_timeout(std::chrono::milliseconds timeout) {
  return fmt::format("SET LOCAL lock_timeout = '{}ms'", timeout.count());
}

std::string StampSql::set_statement_timeout(std::chrono::milliseconds timeout) {
  return fmt::format("SET LOCAL statement_timeout = '{}ms'", timeout.count());
}

std::string StampSql::advisory_lock() const {
  const AdvisoryKey key = advisory_key(table_);
  return fmt::format("SELECT pg_catalog.pg_advisory_xact_lock({}, {})", key.space, key.table);
}

namespace {
// atttypmod of varchar(n) and char(n) is n + 4 (the varlena header); -1 when unbounded.
constexpr const char* kWidthOfAttribute =
    "CASE WHEN a.atttypid IN (pg_catalog.to_regtype('character varying'), "
    "pg_catalog.to_regtype('character')) "
    "AND a.atttypmod > 4 THEN a.atttypmod - 4 ELSE 0 END";
}  // namespace

std::string StampSql::read_at_once(std::chrono::milliseconds statement_timeout) const {
  // Not SET LOCAL: there is no transaction block, and the session keeps it for the next read.
  return fmt::format(
      "SET statement_timeout = '{}ms'; "
      "SELECT (SELECT {} FROM pg_catalog.pg_attribute AS a "
      "WHERE a.attrelid = pg_catalog.to_regclass({}) AND a.attname = 'version_num' AND NOT a.attisdropped), "
      "pg_catalog.array_to_json(ARRAY(SELECT version_num::text FROM {}))::text",
      statement_timeout.count(), kWidthOfAttribute, quote_literal(table_.qualified_sql()), table_.qualified_sql());
}

std::string StampSql::inspect() const {
  return fmt::format(
      "SELECT c.oid IS NOT NULL, a.attnum IS NOT NULL, {} "
      "FROM (SELECT pg_catalog.to_regclass({}) AS oid) AS c "
      "LEFT JOIN pg_catalog.pg_attribute AS a "
      "ON a.attrelid = c.oid AND a.attname = 'version_num' AND NOT a.attisdropped",
      kWidthOfAttribute, quote_literal(table_.qualified_sql()));
}

std::string StampSql::create_table() const {
  return fmt::format(
      "CREATE TABLE IF NOT EXISTS {} (version_num VARCHAR(32) NOT NULL, CONSTRAINT {} PRIMARY KEY "
      "(version_num))",
      table_.qualified_sql(), quote_identifier(table_.name + "_pkc"));
}

std::string StampSql::lock_table() const {
  return fmt::format("LOCK TABLE {} IN SHARE ROW EXCLUSIVE MODE", table_.qualified_sql());
}

std::string StampSql::select_for_update() const {
  return fmt::format("SELECT version_num FROM {} FOR UPDATE", table_.qualified_sql());
}

std::string StampSql::select_rows() const {
  return fmt::format("SELECT version_num FROM {}", table_.qualified_sql());
}

std::string StampSql::delete_rows() const {
  return fmt::format("DELETE FROM {}", table_.qualified_sql());
}

std::string StampSql::insert_rows(const std::vector<std::string>& rows) const {
  std::string values;
  for (const std::string& id : rows) {
    if (!values.empty()) values += ", ";
    values += "(" + quote_literal(id) + ")";
  }
  return fmt::format("INSERT INTO {} (version_num) VALUES {}", table_.qualified_sql(), values);
}

std::chrono::milliseconds StampSql::stamp_statement_timeout(std::chrono::milliseconds lock_timeout) {
  return lock_timeout + kStatementAllowance;
}

std::vector<std::string> StampSql::stamp_plan(bool table_exists, const std::vector<std::string>& rows,
                                              std::chrono::milliseconds lock_timeout) const {
  std::vector<std::string> plan = {begin(), set_lock_timeout(lock_timeout),
                                   set_statement_timeout(stamp_statement_timeout(lock_timeout)),
                                   advisory_lock(), inspect()};
  if (!table_exists && rows.empty()) {
    plan.push_back(commit());
    return plan;
  }
  if (!table_exists) plan.push_back(create_table());
  plan.push_back(lock_table());
  plan.push_back(select_for_update());
  plan.push_back(delete_rows());
  if (!rows.empty()) plan.push_back(insert_rows(rows));
  plan.push_back(select_rows());
  plan.push_back(commit());
  return plan;
}

}  // namespace mgate::backend::db
