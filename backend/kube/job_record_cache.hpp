#pragma once
// Finished migration Jobs kept on disk: when a Job reaches a terminal condition (or
// FailureTarget) mgate saves it and the logs of every pod, so a Job that its TTL or a hook
// policy deleted still shows its outcome and its logs, "from the record", instead of "unknown".
//
// Layout: ROOT/jobs/<env>/<job uid>/job.json            the Job as last seen
//                                  /pods/<pod>.json       each pod as last seen
//                                  /logs/<pod>/<container>.log and <container>.previous.log

#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "backend/core/error.hpp"

namespace mgate::backend::kube {

/// One pod's part of a record.
struct PodRecord {
  nlohmann::json pod;                                ///< the pod as last seen
  std::map<std::string, std::string> logs;           ///< container → its (last) log
  std::map<std::string, std::string> previous_logs;  ///< container → the run before, if any
};

/// A recorded Job.
struct JobRecord {
  nlohmann::json job;
  std::vector<PodRecord> pods;
};

/// Which parts of a record a load reads.
enum class RecordParts { kWithLogs, kWithoutLogs };

/// A record on disk: its Job's uid and when job.json was last written.
struct RecordStamp {
  std::string uid;
  std::filesystem::file_time_type written;
};

/// The records of every environment under one root.
class JobRecordCache {
 public:
  /// root: usually default_root().
  explicit JobRecordCache(std::filesystem::path root) : root_(std::move(root)) {}

  /// $XDG_STATE_HOME/mgate (when absolute), else ~/.local/state/mgate; `env` looks variables up.
  static Result<std::filesystem::path> default_root(
      const std::function<std::optional<std::string>(const std::string&)>& env);

  /// Saves (replaces) the record of the Job (by metadata.uid), written to a temp dir and renamed
  /// into place, so a reader never sees half a record.
  Status save(const std::string& environment, const JobRecord& record) const;
  /// True when the Job with that uid is recorded.
  bool contains(const std::string& environment, const std::string& uid) const;
  /// Every recorded Job of an environment, oldest creationTimestamp first.
  Result<std::vector<JobRecord>> load_all(const std::string& environment) const;
  /// The record of the Job with that uid, if there is one.
  Result<std::optional<JobRecord>> load_uid(const std::string& environment, const std::string& uid,
                                            RecordParts parts = RecordParts::kWithLogs) const;
  /// The records an environment has, without reading them: a reader that keeps records reads
  /// again only those whose stamp changed.
  std::vector<RecordStamp> stamps(const std::string& environment) const;
  /// The newest record of a Job by name, if any.
  Result<std::optional<JobRecord>> find(const std::string& environment,
                                        const std::string& job_name) const;

  /// The root the records live under.
  const std::filesystem::path& root() const { return root_; }

 private:
  std::filesystem::path env_dir(const std::string& environment) const;
  Result<JobRecord> load(const std::filesystem::path& dir, RecordParts parts = RecordParts::kWithLogs) const;

  std::filesystem::path root_;
};

}  // namespace mgate::backend::kube
