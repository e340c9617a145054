#include "backend/ops/audit_log.hpp"

#include <fcntl.h>
#include <pwd.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include <fmt/format.h>

#include "backend/core/redact.hpp"

namespace mgate::backend::ops {
namespace {

std::string errno_text() { return std::strerror(errno); }

// Closes a file descriptor when it goes out of scope.
struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

AuditFields& AuditFields::set(const std::string& key, std::string_view value) {
  json_[key] = redact_dsn(value);
  return *this;
}

AuditFields& AuditFields::set(const std::string& key, long long value) {
  json_[key] = value;
  return *this;
}

AuditFields& AuditFields::set(const std::string& key, bool value) {
  json_[key] = value;
  return *this;
}

AuditFields& AuditFields::set(const std::string& key, const Secret&) {
  json_[key] = Secret::kMask;
  return *this;
}

AuditFields& AuditFields::set(const std::string& key, const std::vector<std::string>& values) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& v : values) list.push_back(redact_dsn(v));
  json_[key] = std::move(list);
  return *this;
}

AuditFields& AuditFields::set(const std::string& key, const AuditFields& nested) {
  json_[key] = nested.json_;
  return *this;
}

const char* to_string(AuditOutcome outcome) {
  switch (outcome) {
    case AuditOutcome::kSucceeded: return "succeeded";
    case AuditOutcome::kFailed: return "failed";
    case AuditOutcome::kRefused: return "refused";
    case AuditOutcome::kDryRun: return "dry_run";
  }
  return "failed";
}

AuditRecord AuditRecord::begin(std::string user, std::string env, std::string action, bool dry_run) {
  AuditRecord r;
  r.user = std::move(user);
  r.env = std::move(env);
  r.action = std::move(action);
  r.arguments.set("dry_run", dry_run);
  return r;
}

std::string AuditRecord::to_line() const {
  nlohmann::json j = nlohmann::json::object();
  j["time"] = format_rfc3339(time);
  j["user"] = user;
  j["env"] = env;
  j["action"] = action;
  j["arguments"] = arguments.json();
  j["before"] = before.json();
  j["after"] = after.json();
  j["outcome"] = to_string(outcome);
  if (!reason.empty()) j["reason"] = redact_dsn(reason);
  // error_handler::replace: a stray invalid UTF-8 byte must not lose the record.
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string current_user() {
  if (const passwd* pw = ::getpwuid(::geteuid()); pw != nullptr && pw->pw_name != nullptr)
    return pw->pw_name;
  if (const char* u = std::getenv("USER"); u != nullptr) return u;
  return fmt::format("uid:{}", ::geteuid());
}

Status AuditLog::append(const AuditRecord& record) const {
  const std::string line = record.to_line() + "\n";
  std::error_code ec;
  if (path_.has_parent_path()) {
    std::filesystem::create_directories(path_.parent_path(), ec);
    if (ec)
      return make_error(ErrorCode::kIo,
                        fmt::format("cannot create the audit log's directory {}", path_.parent_path().string()),
                        ec.message());
  }
  Fd f{::open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600)};
  if (f.fd < 0)
    return make_error(ErrorCode::kIo, fmt::format("cannot open the audit log {}", path_.string()),
                      errno_text());
  // O_APPEND makes the offset atomic; the lock also keeps a writer on a file
  // system without atomic appends (NFS) from splitting a line.
  if (::flock(f.fd, LOCK_EX) != 0)
    return make_error(ErrorCode::kIo, fmt::format("cannot lock the audit log {}", path_.string()),
                      errno_text());
  const ssize_t n = ::write(f.fd, line.data(), line.size());
  if (n != static_cast<ssize_t>(line.size()))
    return make_error(ErrorCode::kIo, fmt::format("cannot write the audit log {}", path_.string()),
                      n < 0 ? errno_text() : fmt::format("short write: {} of {} bytes", n, line.size()));
  if (::fsync(f.fd) != 0)
    return make_error(ErrorCode::kIo, fmt::format("cannot flush the audit log {}", path_.string()),
                      errno_text());
  return ok_status();
}

Result<std::vector<nlohmann::json>> AuditLog::read_all() const {
  std::vector<nlohmann::json> records;
  std::ifstream in(path_);
  if (!in) {
    if (!std::filesystem::exists(path_)) return records;  // no action taken yet
    return make_error(ErrorCode::kIo, fmt::format("cannot read the audit log {}", path_.string()),
                      errno_text());
  }
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (line.empty()) continue;
    auto parsed = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (parsed.is_discarded() || !parsed.is_object())
      return make_error(ErrorCode::kProtocol,
                        fmt::format("{}:{}: not an audit record (a JSON object per line)", path_.string(), number));
    records.push_back(std::move(parsed));
  }
  return records;
}

}  // namespace mgate::backend::ops
