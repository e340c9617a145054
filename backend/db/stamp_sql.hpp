#pragma once
// The SQL text of the PostgreSQL version store: one place builds every statement, so what
// `mgate stamp --dry-run` prints is what a stamp sends.

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace mgate::backend::db {

/// The version table's place: alembic's `version_table` and `version_table_schema`.
struct VersionTable {
  std::string schema = "public";         ///< the schema, never empty (search_path is not consulted)
  std::string name = "alembic_version";  ///< the table

  /// "\"public\".\"alembic_version\"": both parts quoted, for SQL.
  std::string qualified_sql() const;
  /// "public.alembic_version": for people.
  std::string display() const;
  /// "public.alembic_version.version_num": the column, for people.
  std::string column_display() const;
};

/// An SQL identifier in double quotes, inner quotes doubled (what PQescapeIdentifier makes).
std::string quote_identifier(std::string_view identifier);

/// An SQL string literal: '...' with quotes doubled, or E'...' with backslashes doubled too when
/// the text holds a backslash, so it reads the same whatever standard_conforming_strings says.
std::string quote_literal(std::string_view text);

/// The two keys of the transaction-level advisory lock every stamp of one table takes first.
struct AdvisoryKey {
  std::int32_t space = 0;  ///< the same for every mgate version table ("mgat")
  std::int32_t table = 0;  ///< FNV-1a of the quoted qualified table name

  /// Field-wise equality.
  bool operator==(const AdvisoryKey&) const = default;
};

/// The advisory lock key of a table; stable across releases, since two mgate versions stamping
/// one database must still exclude each other.
AdvisoryKey advisory_key(const VersionTable& table);

/// The statements of a read and of a stamp on one table.
class StampSql {
 public:
  /// Statements for `table`.
  explicit StampSql(VersionTable table) : table_(std::move(table)) {}

  /// The table the statements name.
  const VersionTable& table() const { return table_; }

  /// "BEGIN": READ COMMITTED, so each statement after a lock wait sees what the holder committed.
  static std::string begin() { return "BEGIN"; }
  /// "COMMIT".
  static std::string commit() { return "COMMIT"; }
  /// SET LOCAL lock_timeout: how long any lock wait below may last.
  static std::string set_lock_timeout(std::chrono::milliseconds timeout);
  /// SET LOCAL statement_timeout: a bound on every statement, so a stuck server cannot hang a worker.
  static std::string set_statement_timeout(std::chrono::milliseconds timeout);
  /// SELECT pg_advisory_xact_lock(space, table): serialises stamps even when the table is missing.
  std::string advisory_lock() const;
  /// One row: (table exists, has a version_num column, the column's width or 0 when unbounded).
  /// Reads the catalog, which every role may read, so a missing privilege is not "never migrated".
  std::string inspect() const;
  /// A whole read in one simple-query message, so one round trip: the session's statement timeout,
  /// then one row of (the column's width as inspect() gives it, the version_num values as a JSON
  /// array). It fails with 42P01 / 3F000 / 42703 when the table, its schema or the column is
  /// missing; the caller then reads the slow way, which tells those states apart.
  std::string read_at_once(std::chrono::milliseconds statement_timeout) const;
  /// CREATE TABLE IF NOT EXISTS, exactly as alembic creates the table: version_num VARCHAR(32)
  /// NOT NULL with the primary key constraint `<table>_pkc`.
  std::string create_table() const;
  /// LOCK TABLE … IN SHARE ROW EXCLUSIVE MODE: conflicts with itself and with every writer.
  std::string lock_table() const;
  /// SELECT version_num … FOR UPDATE.
  std::string select_for_update() const;
  /// SELECT version_num …: a read, or the re-read before COMMIT.
  std::string select_rows() const;
  /// DELETE FROM …: every row.
  std::string delete_rows() const;
  /// INSERT INTO … (version_num) VALUES ('a'), ('b'); only for a non-empty `rows`.
  std::string insert_rows(const std::vector<std::string>& rows) const;

  /// The whole stamp in order, from BEGIN to COMMIT, for a table that exists or not, as
  /// PostgresVersionStore::replace_rows sends it. When the table is missing and no rows are to be
  /// written there is nothing to lock or delete, so the plan ends after the inspection.
  std::vector<std::string> stamp_plan(bool table_exists, const std::vector<std::string>& rows,
                                      std::chrono::milliseconds lock_timeout) const;

  /// The statement_timeout of a stamp: its lock wait plus room for the statements themselves.
  static std::chrono::milliseconds stamp_statement_timeout(std::chrono::milliseconds lock_timeout);

 private:
  VersionTable table_;
};

}  // namespace mgate::backend::db
