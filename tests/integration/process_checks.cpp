#include "tests/integration/process_checks.hpp"

#include <unistd.h>

#include <fstream>
#include <sstream>

namespace mgate::sandbox::testing {
namespace {

std::string cmdline(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/cmdline", std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  std::string s = text.str();
  for (char& c : s) {
    if (c == '\0') c = ' ';
  }
  return s;
}

}  // namespace

std::vector<ProcStat> process_tree(pid_t root) {
  std::vector<ProcStat> out;
  if (auto st = read_proc_stat(root)) out.push_back(*st);
  const std::vector<ProcStat> below = descendants(root);
  out.insert(out.end(), below.begin(), below.end());
  return out;
}

std::vector<ProcStat> survivors(const std::vector<ProcStat>& procs) {
  std::vector<ProcStat> out;
  for (const ProcStat& p : procs) {
    if (process_alive(p.pid, p.start_time)) out.push_back(p);
  }
  return out;
}

std::vector<ProcStat> processes_mentioning(const std::string& text) {
  std::vector<ProcStat> out;
  for (const ProcStat& p : list_processes()) {
    if (p.pid != getpid() && p.alive() && cmdline(p.pid).find(text) != std::string::npos) out.push_back(p);
  }
  return out;
}

std::string describe(const std::vector<ProcStat>& procs) {
  std::string out;
  for (const ProcStat& p : procs) {
    if (!out.empty()) out += ", ";
    out += std::to_string(p.pid) + " (" + cmdline(p.pid) + ")";
  }
  return out.empty() ? "none" : out;
}

}  // namespace mgate::sandbox::testing
