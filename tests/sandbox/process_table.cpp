#include "tests/sandbox/process_table.hpp"

#include <dirent.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

namespace mgate::sandbox {

std::optional<ProcStat> read_proc_stat(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!in || !std::getline(in, line)) return std::nullopt;
  // The command name sits in parentheses and may itself hold spaces or ')': the fields
  // after it start after the LAST ')'.
  const std::size_t close = line.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream rest(line.substr(close + 1));
  ProcStat st;
  st.pid = pid;
  std::string skip;
  rest >> st.state >> st.ppid >> st.pgrp;
  // Fields 6..21 (session .. itrealvalue) are not needed; start time is field 22.
  for (int field = 6; field <= 21; ++field) rest >> skip;
  rest >> st.start_time;
  if (!rest) return std::nullopt;
  return st;
}

bool process_alive(pid_t pid, std::uint64_t start_time) {
  if (pid <= 0) return false;
  const auto st = read_proc_stat(pid);
  if (!st || !st->alive()) return false;
  return start_time == 0 || st->start_time == start_time;
}

std::vector<ProcStat> list_processes() {
  std::vector<ProcStat> out;
  DIR* dir = opendir("/proc");
  if (dir == nullptr) return out;
  while (const dirent* entry = readdir(dir)) {
    char* end = nullptr;
    const long pid = std::strtol(entry->d_name, &end, 10);
    if (end == entry->d_name || *end != '\0' || pid <= 0) continue;
    if (auto st = read_proc_stat(static_cast<pid_t>(pid))) out.push_back(*st);
  }
  closedir(dir);
  return out;
}

std::vector<ProcStat> descendants(pid_t root) {
  const std::vector<ProcStat> all = list_processes();
  std::vector<ProcStat> out;
  std::vector<pid_t> frontier{root};
  while (!frontier.empty()) {
    const pid_t parent = frontier.back();
    frontier.pop_back();
    for (const ProcStat& st : all) {
      if (st.ppid == parent) {
        out.push_back(st);
        frontier.push_back(st.pid);
      }
    }
  }
  return out;
}

}  // namespace mgate::sandbox
