#include "tests/sandbox/kubesim/pod_logs.hpp"

#include <fmt/format.h>

#include <chrono>
#include <ctime>
#include <fstream>

namespace mgate::kubesim {

std::filesystem::path container_log_path(const std::filesystem::path& root, const std::string& ns,
                                         const std::string& pod, const std::string& uid,
                                         const std::string& container, int attempt) {
  return root / (ns + "_" + pod + "_" + uid) / container / (std::to_string(attempt) + ".log");
}

std::string format_cri_line(const LogLine& line) {
  return line.time + " " + line.stream + " F " + line.text + "\n";
}

std::optional<LogLine> parse_cri_line(const std::string& raw) {
  const auto s1 = raw.find(' ');
  if (s1 == std::string::npos) return std::nullopt;
  const auto s2 = raw.find(' ', s1 + 1);
  if (s2 == std::string::npos) return std::nullopt;
  const auto s3 = raw.find(' ', s2 + 1);
  LogLine line;
  line.time = raw.substr(0, s1);
  line.stream = raw.substr(s1 + 1, s2 - s1 - 1);
  if (line.stream != "stdout" && line.stream != "stderr") return std::nullopt;
  line.text = s3 == std::string::npos ? std::string() : raw.substr(s3 + 1);
  if (!line.text.empty() && line.text.back() == '\n') line.text.pop_back();
  return line;
}

std::vector<LogLine> read_log_file(const std::filesystem::path& file) {
  std::vector<LogLine> lines;
  std::ifstream in(file);
  std::string raw;
  while (std::getline(in, raw)) {
    if (auto line = parse_cri_line(raw)) lines.push_back(std::move(*line));
  }
  return lines;
}

std::string now_rfc3339_nano() {
  const auto now = std::chrono::system_clock::now();
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch()).count();
  const std::time_t secs = static_cast<std::time_t>(ns / 1000000000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:09}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ns % 1000000000);
}

}  // namespace mgate::kubesim
