#include "backend/db/postgres_version_store.hpp"

#include <optional>
#include <stdexcept>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "backend/db/connection_spec.hpp"
#include "backend/db/pg_error.hpp"
#include "backend/db/stamp_sql.hpp"

namespace mgate::backend::db {
namespace {

// PostgreSQL cuts longer identifiers (NAMEDATALEN - 1 bytes) silently, which would name another table.
constexpr std::size_t kMaxIdentifierBytes = 63;
// A refresh reads while the console waits: a stuck server must not hold a worker for long.
constexpr std::chrono::milliseconds kReadStatementTimeout{10000};

// What the catalog says about the version table.
struct TableShape {
  bool exists = false;
  bool has_column = false;
  int width = 0;
};

TableShape read_shape(const pqxx::row& row) {
  return TableShape{row[0].as<bool>(), row[1].as<bool>(), row[2].as<int>()};
}

std::vector<std::string> column_values(const pqxx::result& result) {
  std::vector<std::string> out;
  out.reserve(result.size());
  for (const auto& row : result) out.push_back(row[0].as<std::string>());
  return normalize_rows(std::move(out));
}

// "postgresql://user@host:port/db" from the live session: exact even when a service file or the
// PG* variables chose the server, and password-free by construction.
std::string live_target(pqxx::connection& conn) {
  const auto text = [](const char* value) { return std::string(value == nullptr ? "" : value); };
  const std::string host = text(conn.hostname());
  const std::string user = text(conn.username());
  const std::string port = text(conn.port());
  const std::string dbname = text(conn.dbname());
  if (host.empty() || host.starts_with('/')) {
    // A unix socket: its directory goes in the query, as libpq's URI syntax wants.
    return fmt::format("postgresql://{}@/{}?host={}&port={}", user, dbname, host, port);
  }
  return fmt::format("postgresql://{}@{}:{}/{}", user, host, port, dbname);
}

Status check_identifier(const std::string& value, const char* key, const std::string& env_name) {
  if (value.empty() || value.size() > kMaxIdentifierBytes || value.find('\0') != std::string::npos) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("environment {}: database.{} must be 1 to {} bytes without NUL, not \"{}\"",
                                  env_name, key, kMaxIdentifierBytes, value));
  }
  return ok_status();
}

class PostgresVersionStore final : public VersionStore {
 public:
  PostgresVersionStore(ConnectionSpec spec, VersionTable table, std::string env_name)
      : spec_(std::move(spec)),
        sql_(std::move(table)),
        env_name_(std::move(env_name)),
        target_(spec_.target) {}

  Result<VersionState> read() override;
  Result<StampOutcome> replace_rows(const std::vector<std::string>& expected,
                                    const std::vector<std::string>& rows,
                                    const StampOptions& options) override;
  std::vector<std::string> plan_sql(const VersionState& current, const std::vector<std::string>& rows,
                                    const StampOptions& options) const override {
    return sql_.stamp_plan(current.table_exists, rows, options.lock_timeout);
  }
  std::string describe() const override { return target_ + " table " + sql_.table().display(); }

 private:
  Status connect();
  // One round trip; nullopt when the table, its schema or its column is missing.
  std::optional<VersionState> read_at_once();
  // The catalog, then the rows, in a transaction; nullopt when the table has no version_num.
  std::optional<VersionState> read_inspected();
  // The Error for the exception in flight, scrubbed; forgets a session that broke.
  Error fail(const std::string& operation);
  Result<StampOutcome> stamp(pqxx::work& tx, const std::vector<std::string>& expected,
                             const std::vector<std::string>& rows, const StampOptions& options);
  Error changed(const std::string& operation, const std::vector<std::string>& expected,
                const std::vector<std::string>& found) const;

  ConnectionSpec spec_;
  StampSql sql_;
  std::string env_name_;
  std::string target_;  // the configured name until a session gives the live one
  // libpqxx takes over libpq's notice processor and drops notices no error handler claims, so
  // nothing reaches the stderr a console owns (ServerNoticesNeverReachStderr holds it to that).
  std::unique_ptr<pqxx::connection> session_;
};

Status PostgresVersionStore::connect() {
  if (session_ && session_->is_open()) return ok_status();
  session_.reset();
  try {
    auto session = std::make_unique<pqxx::connection>(spec_.conninfo.reveal());
    target_ = live_target(*session);
    session_ = std::move(session);
    return ok_status();
  } catch (const pqxx::broken_connection& e) {
    return scrub(connect_error(e.what(), target_, env_name_), spec_.secrets);
  } catch (...) {
    return fail("connecting (environment " + env_name_ + ")");
  }
}

Error PostgresVersionStore::fail(const std::string& operation) {
  bool broken = false;
  Error error = current_exception_error(operation, target_, &broken);
  if (broken) session_.reset();
  return scrub(std::move(error), spec_.secrets);
}

Error PostgresVersionStore::changed(const std::string& operation, const std::vector<std::string>& expected,
                                    const std::vector<std::string>& found) const {
  return make_error(
      ErrorCode::kConflict,
      fmt::format("{} refused: the version table changed since it was read: expected {}, found {}; "
                  "nothing was changed",
                  operation, format_rows(expected), format_rows(found)),
      describe());
}

Result<VersionState> PostgresVersionStore::read() {
  const std::string operation = "reading " + sql_.table().display();
  if (Status connected = connect(); !connected) return connected.error();
  try {
    // The usual case in one round trip (a refresh waits for this connection's chain of round
    // trips); a missing table, schema or column falls through to the transaction below.
    if (std::optional<VersionState> state = read_at_once()) return *std::move(state);
    std::optional<VersionState> state = read_inspected();
    if (!state) {
      return make_error(ErrorCode::kProtocol,
                        fmt::format("{} has no version_num column: it is not an alembic version table",
                                    sql_.table().display()),
                        describe());
    }
    return *std::move(state);
  } catch (...) {
    return fail(operation);
  }
}

std::optional<VersionState> PostgresVersionStore::read_at_once() {
  pqxx::result result;
  try {
    pqxx::nontransaction tx(*session_);
    result = tx.exec(sql_.read_at_once(kReadStatementTimeout));
  } catch (const pqxx::sql_error& e) {
    const std::string state = e.sqlstate();
    // undefined_table, invalid_schema_name, undefined_column: the slow way names the case.
    if (state == "42P01" || state == "3F000" || state == "42703") return std::nullopt;
    throw;
  }
  if (result.size() != 1 || result.columns() != 2) {
    throw std::runtime_error(fmt::format("the version read returned {} rows of {} columns, not 1 of 2",
                                         result.size(), result.columns()));
  }
  const nlohmann::json values = nlohmann::json::parse(result[0][1].as<std::string>());
  std::vector<std::string> rows;
  for (const nlohmann::json& value : values) {
    if (!value.is_string()) throw std::runtime_error("a version_num value is NULL");
    rows.push_back(value.get<std::string>());
  }
  VersionState state;
  state.table_exists = true;
  state.column_width = result[0][0].as<int>(0);
  state.rows = normalize_rows(std::move(rows));
  return state;
}

std::optional<VersionState> PostgresVersionStore::read_inspected() {
  pqxx::read_transaction tx(*session_);
  tx.exec0(StampSql::set_statement_timeout(kReadStatementTimeout));
  const TableShape shape = read_shape(tx.exec1(sql_.inspect()));
  VersionState state;
  state.table_exists = shape.exists;
  if (shape.exists) {
    if (!shape.has_column) return std::nullopt;
    state.column_width = shape.width;
    state.rows = column_values(tx.exec(sql_.select_rows()));
  }
  tx.commit();
  return state;
}

Result<StampOutcome> PostgresVersionStore::replace_rows(const std::vector<std::string>& expected,
                                                        const std::vector<std::string>& rows,
                                                        const StampOptions& options) {
  const std::string operation = "stamping " + sql_.table().display();
  if (Status valid = validate_revision_ids(rows, sql_.table().display()); !valid) return valid.error();
  if (options.lock_timeout.count() <= 0) {
    // PostgreSQL reads lock_timeout = 0 as "wait for ever", the opposite of what a caller means.
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("{}: the lock timeout must be at least 1 ms, not {} ms", operation,
                                  options.lock_timeout.count()));
  }
  if (Status connected = connect(); !connected) return connected.error();
  try {
    // pqxx::work is READ COMMITTED: the locking below relies on it (see the header).
    pqxx::work tx(*session_);
    return stamp(tx, normalize_rows(expected), rows, options);
  } catch (...) {
    return fail(operation);
  }
}

// The body of replace_rows; an early return leaves `tx` uncommitted, so it rolls back.
Result<StampOutcome> PostgresVersionStore::stamp(pqxx::work& tx, const std::vector<std::string>& expected,
                                                 const std::vector<std::string>& rows,
                                                 const StampOptions& options) {
  const std::string operation = "stamping " + sql_.table().display();
  tx.exec0(StampSql::set_lock_timeout(options.lock_timeout));
  tx.exec0(StampSql::set_statement_timeout(StampSql::stamp_statement_timeout(options.lock_timeout)));
  tx.exec1(sql_.advisory_lock());
  const TableShape shape = read_shape(tx.exec1(sql_.inspect()));
  if (shape.exists && !shape.has_column) {
    return make_error(
        ErrorCode::kProtocol,
        fmt::format("{} refused: {} has no version_num column", operation, sql_.table().display()),
        describe());
  }
  if (!shape.exists && !expected.empty()) return changed(operation, expected, {});
  if (Status fits = check_column_width(rows, shape.exists ? shape.width : kAlembicVersionWidth,
                                       sql_.table().column_display());
      !fits) {
    return fits.error();
  }
  StampOutcome outcome;
  if (!shape.exists && rows.empty()) {
    // `base` on a never-migrated database: nothing to create, lock or delete.
    tx.commit();
    return outcome;
  }
  if (!shape.exists) {
    tx.exec0(sql_.create_table());
    outcome.created_table = true;
  }
  tx.exec0(sql_.lock_table());
  outcome.before = column_values(tx.exec(sql_.select_for_update()));
  if (outcome.before != expected) return changed(operation, expected, outcome.before);
  tx.exec0(sql_.delete_rows());
  if (!rows.empty()) tx.exec0(sql_.insert_rows(rows));
  outcome.after = column_values(tx.exec(sql_.select_rows()));
  tx.commit();
  return outcome;
}

}  // namespace

Result<std::unique_ptr<VersionStore>> open_postgres(const config::DatabaseConfig& database,
                                                    const std::string& env_name) {
  if (Status ok = check_identifier(database.schema, "schema", env_name); !ok) return ok.error();
  if (Status ok = check_identifier(database.version_table, "version_table", env_name); !ok) return ok.error();
  Result<ConnectionSpec> spec = make_connection_spec(database, env_name);
  if (!spec) return spec.error();
  VersionTable table{database.schema, database.version_table};
  return std::unique_ptr<VersionStore>(
      std::make_unique<PostgresVersionStore>(std::move(spec.value()), std::move(table), env_name));
}

}  // namespace mgate::backend::db
