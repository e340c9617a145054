#pragma once
// Container logs on disk, as the kubelet keeps them under /var/log/pods: one file per container
// attempt, each line in the CRI format "<RFC3339Nano time> <stdout|stderr> F <text>".
// The kubelet-lite writes them; the API server's /log reads them.

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace mgate::kubesim {

/// One line of a container log.
struct LogLine {
  std::string time;    ///< RFC 3339 with nanoseconds, UTC: "2026-11-21T10:00:00.123456789Z"
  std::string stream;  ///< "stdout" or "stderr"
  std::string text;    ///< without the newline
};

/// root/<ns>_<pod>_<uid>/<container>/<attempt>.log — attempt is the restartCount the container
/// had when that run started (0 for the first).
std::filesystem::path container_log_path(const std::filesystem::path& root, const std::string& ns,
                                         const std::string& pod, const std::string& uid,
                                         const std::string& container, int attempt);

/// The line as written to the file, with its newline.
std::string format_cri_line(const LogLine& line);

/// The line read back; nullopt for a line that is not CRI-formatted.
std::optional<LogLine> parse_cri_line(const std::string& raw);

/// Every line of a log file (a missing file has none).
std::vector<LogLine> read_log_file(const std::filesystem::path& file);

/// Now as a CRI log time (nanosecond precision).
std::string now_rfc3339_nano();

}  // namespace mgate::kubesim
