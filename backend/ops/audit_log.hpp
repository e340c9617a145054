#pragma once
// The audit log: one JSON line per action, appended and flushed (DESIGN.md §6).

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "backend/core/error.hpp"
#include "backend/core/secret.hpp"
#include "backend/core/time.hpp"

namespace mgate::backend::ops {

/// Typed fields of an audit record. There is no way to put raw JSON in: every
/// value goes through a setter, a Secret always lands as "***", and a string
/// that is a URL or a DSN has its password masked.
class AuditFields {
 public:
  /// A text value; passwords inside URLs or DSNs are masked.
  AuditFields& set(const std::string& key, std::string_view value);
  AuditFields& set(const std::string& key, const char* value) { return set(key, std::string_view(value)); }
  /// A number.
  AuditFields& set(const std::string& key, long long value);
  AuditFields& set(const std::string& key, int value) { return set(key, static_cast<long long>(value)); }
  /// A flag.
  AuditFields& set(const std::string& key, bool value);
  /// A secret: only "***" is written.
  AuditFields& set(const std::string& key, const Secret& value);
  /// A list of texts, each masked as set(string) masks.
  AuditFields& set(const std::string& key, const std::vector<std::string>& values);
  /// A nested group of fields.
  AuditFields& set(const std::string& key, const AuditFields& nested);

  /// True when no field was set.
  bool empty() const { return json_.empty(); }
  /// The fields as a JSON object.
  const nlohmann::json& json() const { return json_; }

 private:
  nlohmann::json json_ = nlohmann::json::object();
};

/// How an action ended.
enum class AuditOutcome { kSucceeded, kFailed, kRefused, kDryRun };

/// "succeeded", "failed", "refused", "dry_run".
const char* to_string(AuditOutcome outcome);

/// One action, as written to the log.
struct AuditRecord {
  Clock::time_point time = Clock::now();
  std::string user;       ///< the OS user who ran mgate
  std::string env;        ///< the environment acted on
  std::string action;     ///< "stamp", "promote", "resubmit"
  AuditFields arguments;  ///< what was asked
  AuditFields before;     ///< the state read before acting
  AuditFields after;      ///< the state verified after acting
  AuditOutcome outcome = AuditOutcome::kSucceeded;
  std::string reason;  ///< why: a refusal, an error, a --reason given with a force

  /// A record of `action` by `user` on `env`, its arguments starting with dry_run.
  static AuditRecord begin(std::string user, std::string env, std::string action, bool dry_run);

  /// The record as one line of JSON, without the newline.
  std::string to_line() const;
};

/// The OS user name (from the password database, then $USER), for AuditRecord::user.
std::string current_user();

/// An append-only JSON-lines file.
class AuditLog {
 public:
  explicit AuditLog(std::filesystem::path path) : path_(std::move(path)) {}

  /// Appends one record: the parent directory is created (0700), the file is
  /// created with mode 0600 and opened O_APPEND, the line goes out in one
  /// write() under an exclusive flock, then fsync. Two processes appending at
  /// once never interleave a line.
  Status append(const AuditRecord& record) const;

  /// Every record in the file, oldest first. A line that is not JSON is an
  /// error naming its line number.
  Result<std::vector<nlohmann::json>> read_all() const;

  /// The file's path.
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

/// Ends an action's record: a failed `result` sets the outcome (a refusal or a lost
/// compare-and-set is `refused`, any other error `failed`) and the reason; then the record is
/// appended to `log` (when there is one). An unwritable log turns a successful result into a kIo
/// error, since the action is then not fully recorded; a failed result keeps its own error.
template <typename T>
Result<T> audited(const AuditLog* log, AuditRecord record, Result<T> result) {
  if (!result.ok()) {
    const auto code = result.error().code;
    record.outcome = (code == ErrorCode::kRefused || code == ErrorCode::kConflict) ? AuditOutcome::kRefused
                                                                                   : AuditOutcome::kFailed;
    record.reason = result.error().message;
  }
  if (log == nullptr) return result;
  if (auto s = log->append(record); !s) {
    if (!result.ok()) return result;  // the action's own error says more
    return make_error(ErrorCode::kIo,
                      "the " + record.action + " was made but could not be audited: " + s.error().message,
                      s.error().detail);
  }
  return result;
}

}  // namespace mgate::backend::ops
