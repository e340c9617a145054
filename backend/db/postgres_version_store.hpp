#pragma once
// The PostgreSQL implementation of VersionStore on libpqxx: alembic's version table.
//
// Locking (replace_rows), in one READ COMMITTED transaction:
//   SET LOCAL lock_timeout / statement_timeout
//   pg_advisory_xact_lock(space, table)   every mgate stamp of this table, even a missing one
//   inspect the catalog                   exists? width of version_num?  -> refuse wide ids here
//   CREATE TABLE IF NOT EXISTS            only when missing and rows are to be written
//   LOCK TABLE … SHARE ROW EXCLUSIVE      also excludes other writers (alembic's UPDATE)
//   SELECT version_num … FOR UPDATE       compare with the expectation -> kConflict if different
//   DELETE, INSERT, re-read, COMMIT
// The advisory lock serialises two stampers whatever the table's state (rows, no rows, no table:
// FOR UPDATE alone locks nothing when there are no rows); the table lock serialises a stamp with
// a migration that is writing the table; READ COMMITTED gives every statement after a wait a
// fresh snapshot, so the loser of a race compares against the winner's committed rows.

#include <memory>
#include <string>

#include "backend/config/config.hpp"
#include "backend/core/error.hpp"
#include "backend/db/version_store.hpp"

namespace mgate::backend::db {

/// A store for environment `env_name`'s database (see make_connection_spec for where the
/// connection comes from) and its `schema`.`version_table`.
///
/// The connection is opened lazily by the first read() or replace_rows(), kept for later calls,
/// and opened again after it broke; so this fails only on a configuration error (a missing
/// `dsn_env` variable, an empty or over-long table or schema name), never because the server is
/// down. Server notices are dropped, never printed on the stderr a console owns.
Result<std::unique_ptr<VersionStore>> open_postgres(const config::DatabaseConfig& database,
                                                    const std::string& env_name);

}  // namespace mgate::backend::db
