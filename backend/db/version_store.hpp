#pragma once
// The database side of the migration gate: which revisions a database says it is at, and the
// guarded rewrite of that record (stamp). DESIGN.md §1 keeps this an interface so a MySQL store
// or a `schema_migrations` table can join later; PostgreSQL's alembic_version is the first.

#include <chrono>
#include <string>
#include <vector>

#include "backend/core/error.hpp"

namespace mgate::backend::db {

/// The width alembic gives `version_num` (VARCHAR(32)) when it creates the table.
inline constexpr int kAlembicVersionWidth = 32;

/// What the version table holds right now.
struct VersionState {
  /// False when the table does not exist: the database was never migrated.
  bool table_exists = false;
  /// One revision id per row (one row per head when the history has branches), sorted.
  std::vector<std::string> rows;
  /// The most characters `version_num` holds: from the catalog when the table exists, the width
  /// a stamp would create it with when it does not; 0 when the column is unbounded (text).
  int column_width = kAlembicVersionWidth;

  /// Field-wise equality.
  bool operator==(const VersionState&) const = default;
};

/// How a stamp behaves while it waits for other sessions.
///
/// There is no "purge" switch: a store always replaces the whole row set with the caller's,
/// under the compare-and-set. Which rows a non-purge stamp keeps is decided from the revision
/// graph by the caller, and a purge still needs the check (the caller passes what it read, so
/// a restore that lands between the read and the stamp is not silently overwritten).
struct StampOptions {
  /// How long to wait for a lock held by another session (a running migration, another stamp)
  /// before giving up with a retryable kConflict.
  std::chrono::milliseconds lock_timeout{2000};
};

/// What a successful stamp changed, for the audit record.
struct StampOutcome {
  std::vector<std::string> before;  ///< the rows found under the lock (equal to the expectation)
  std::vector<std::string> after;   ///< the rows read back inside the transaction before COMMIT
  bool created_table = false;       ///< the version table did not exist and the stamp created it

  /// Field-wise equality.
  bool operator==(const StampOutcome&) const = default;
};

/// Reads and stamps the revision record of one database.
///
/// A store holds at most one connection and is used by one thread at a time (DESIGN.md §3);
/// callers that read several databases concurrently hold one store per database and worker.
/// It may move between threads between calls. Every failure is returned as an Error; no
/// exception leaves a store, and no message, detail or description carries a password.
class VersionStore {
 public:
  virtual ~VersionStore() = default;

  /// The rows of the version table; a missing table reads as table_exists = false, no rows.
  virtual Result<VersionState> read() = 0;

  /// Replaces the rows with `rows` (empty: `base`, delete them all) in one transaction, if and
  /// only if the rows found under the lock equal `expected` as a set; otherwise nothing changes
  /// and the error is kConflict. Ids that are empty, repeated or wider than the column are
  /// refused with kInvalidArgument before anything changes. The table is created (as alembic
  /// creates it) only when it is missing and rows are to be written.
  virtual Result<StampOutcome> replace_rows(const std::vector<std::string>& expected,
                                            const std::vector<std::string>& rows,
                                            const StampOptions& options = {}) = 0;

  /// The statements replace_rows runs, in order and as sent, for `--dry-run`: computed from the
  /// state the caller read (it decides whether a CREATE TABLE is listed). Between the statements
  /// the store checks, in code, that the locked rows equal `current.rows` and that every id fits.
  virtual std::vector<std::string> plan_sql(const VersionState& current, const std::vector<std::string>& rows,
                                            const StampOptions& options = {}) const = 0;

  /// Where the record lives, for messages and the audit log, never with a password:
  /// "postgresql://mgate@127.0.0.1:5433/stage table public.alembic_version".
  virtual std::string describe() const = 0;
};

/// The rows sorted byte-wise with repeats removed: how row sets are compared.
std::vector<std::string> normalize_rows(std::vector<std::string> rows);

/// "[a, b]", or "[]" for no rows; the order given.
std::string format_rows(const std::vector<std::string>& rows);

/// The length of a UTF-8 string in characters, which is what VARCHAR(n) limits.
int character_count(const std::string& text);

/// kInvalidArgument unless every id is non-empty, free of NUL and control characters, and given
/// once. `table` names the table in the message.
Status validate_revision_ids(const std::vector<std::string>& rows, const std::string& table);

/// kInvalidArgument naming the first id longer than `width` characters (0: unbounded), its
/// length and the width of `column` ("public.alembic_version.version_num").
Status check_column_width(const std::vector<std::string>& rows, int width, const std::string& column);

}  // namespace mgate::backend::db
