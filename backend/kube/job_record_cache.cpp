#include "backend/kube/job_record_cache.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>

namespace mgate::backend::kube {

namespace fs = std::filesystem;
using Json = nlohmann::json;

namespace {

// Names from the API are DNS labels, but a record path must never leave its directory.
bool safe_component(const std::string& s) {
  return !s.empty() && s != "." && s != ".." && s.find('/') == std::string::npos;
}

Status write_text(const fs::path& file, const std::string& text) {
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out << text;
  out.flush();
  if (!out) return make_error(ErrorCode::kIo, fmt::format("cannot write {}", file.string()));
  return ok_status();
}

Result<std::string> read_text(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return make_error(ErrorCode::kIo, fmt::format("cannot read {}", file.string()));
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

Result<Json> read_json(const fs::path& file) {
  auto text = read_text(file);
  if (!text) return text.error();
  try {
    return Json::parse(*text);
  } catch (const Json::parse_error& e) {
    return make_error(ErrorCode::kIo, fmt::format("{} is not JSON", file.string()), e.what());
  }
}

std::string meta(const Json& object, const char* key) {
  return object.value("metadata", Json::object()).value(key, "");
}

}  // namespace

Result<fs::path> JobRecordCache::default_root(
    const std::function<std::optional<std::string>(const std::string&)>& env) {
  // The XDG spec says to ignore a relative XDG_STATE_HOME.
  if (auto state = env("XDG_STATE_HOME"); state && fs::path(*state).is_absolute()) {
    return fs::path(*state) / "mgate";
  }
  if (auto home = env("HOME"); home && !home->empty()) return fs::path(*home) / ".local/state/mgate";
  return make_error(ErrorCode::kInvalidArgument,
                    "cannot place the job records: neither XDG_STATE_HOME nor HOME is set");
}

fs::path JobRecordCache::env_dir(const std::string& environment) const {
  return root_ / "jobs" / environment;
}

Status JobRecordCache::save(const std::string& environment, const JobRecord& record) const {
  const std::string uid = meta(record.job, "uid");
  if (!safe_component(environment) || !safe_component(uid)) {
    return make_error(ErrorCode::kInvalidArgument, "a job record needs an environment and the Job's uid");
  }
  const fs::path final_dir = env_dir(environment) / uid;
  const fs::path temp = env_dir(environment) / fmt::format(".{}.tmp{}", uid, getpid());
  std::error_code ec;
  fs::remove_all(temp, ec);
  fs::create_directories(temp / "pods", ec);
  if (ec) return make_error(ErrorCode::kIo, fmt::format("cannot create {}", temp.string()), ec.message());
  if (auto s = write_text(temp / "job.json", record.job.dump(2) + "\n"); !s) return s;
  for (const PodRecord& p : record.pods) {
    const std::string pod = meta(p.pod, "name");
    if (!safe_component(pod)) continue;
    if (auto s = write_text(temp / "pods" / (pod + ".json"), p.pod.dump(2) + "\n"); !s) return s;
    fs::create_directories(temp / "logs" / pod, ec);
    for (const auto& [container, text] : p.logs) {
      if (!safe_component(container)) continue;
      if (auto s = write_text(temp / "logs" / pod / (container + ".log"), text); !s) return s;
    }
    for (const auto& [container, text] : p.previous_logs) {
      if (!safe_component(container)) continue;
      if (auto s = write_text(temp / "logs" / pod / (container + ".previous.log"), text); !s) return s;
    }
  }
  fs::remove_all(final_dir, ec);
  fs::rename(temp, final_dir, ec);
  if (ec) return make_error(ErrorCode::kIo, fmt::format("cannot move the record into {}", final_dir.string()), ec.message());
  return ok_status();
}

bool JobRecordCache::contains(const std::string& environment, const std::string& uid) const {
  std::error_code ec;
  return safe_component(uid) && fs::exists(env_dir(environment) / uid / "job.json", ec);
}

Result<JobRecord> JobRecordCache::load(const fs::path& dir, RecordParts parts) const {
  auto job = read_json(dir / "job.json");
  if (!job) return job.error();
  JobRecord record{*job, {}};
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir / "pods", ec)) {
    if (entry.path().extension() != ".json") continue;
    auto pod = read_json(entry.path());
    if (!pod) return pod.error();
    PodRecord p{*pod, {}, {}};
    if (parts == RecordParts::kWithoutLogs) {
      record.pods.push_back(std::move(p));
      continue;
    }
    const fs::path logs = dir / "logs" / entry.path().stem();
    for (const auto& log : fs::directory_iterator(logs, ec)) {
      const std::string file = log.path().filename().string();
      auto text = read_text(log.path());
      if (!text) return text.error();
      const std::string previous = ".previous.log";
      if (file.size() > previous.size() && file.ends_with(previous)) {
        p.previous_logs[file.substr(0, file.size() - previous.size())] = *text;
      } else if (file.ends_with(".log")) {
        p.logs[file.substr(0, file.size() - 4)] = *text;
      }
    }
    record.pods.push_back(std::move(p));
  }
  std::sort(record.pods.begin(), record.pods.end(), [](const PodRecord& a, const PodRecord& b) {
    return std::pair(meta(a.pod, "creationTimestamp"), meta(a.pod, "name")) <
           std::pair(meta(b.pod, "creationTimestamp"), meta(b.pod, "name"));
  });
  return record;
}

Result<std::vector<JobRecord>> JobRecordCache::load_all(const std::string& environment) const {
  std::vector<JobRecord> out;
  std::error_code ec;
  if (!fs::is_directory(env_dir(environment), ec)) return out;
  for (const auto& entry : fs::directory_iterator(env_dir(environment), ec)) {
    if (!entry.is_directory() || entry.path().filename().string().starts_with(".")) continue;
    auto record = load(entry.path());
    if (!record) return record.error();
    out.push_back(std::move(*record));
  }
  std::sort(out.begin(), out.end(), [](const JobRecord& a, const JobRecord& b) {
    return std::pair(meta(a.job, "creationTimestamp"), meta(a.job, "name")) <
           std::pair(meta(b.job, "creationTimestamp"), meta(b.job, "name"));
  });
  return out;
}

Result<std::optional<JobRecord>> JobRecordCache::load_uid(const std::string& environment, const std::string& uid,
                                                          RecordParts parts) const {
  if (!contains(environment, uid)) return std::optional<JobRecord>();
  auto record = load(env_dir(environment) / uid, parts);
  if (!record) return record.error();
  return std::optional<JobRecord>(std::move(*record));
}

std::vector<RecordStamp> JobRecordCache::stamps(const std::string& environment) const {
  std::vector<RecordStamp> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(env_dir(environment), ec)) {
    const std::string uid = entry.path().filename().string();
    if (!entry.is_directory(ec) || uid.starts_with(".")) continue;
    const auto written = fs::last_write_time(entry.path() / "job.json", ec);
    if (!ec) out.push_back(RecordStamp{uid, written});
  }
  return out;
}

Result<std::optional<JobRecord>> JobRecordCache::find(const std::string& environment,
                                                      const std::string& job_name) const {
  auto all = load_all(environment);
  if (!all) return all.error();
  std::optional<JobRecord> newest;
  for (auto& r : *all) {
    if (meta(r.job, "name") == job_name) newest = std::move(r);
  }
  return newest;
}

}  // namespace mgate::backend::kube
