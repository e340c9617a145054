#pragma once
// A read of /proc: which processes exist, who their parents are, when they started.
//
// Teardown and the stale sweep must never signal a stranger that reused a pid, so every
// pid the sandbox records travels with its start time and is checked against /proc first.

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <vector>

namespace mgate::sandbox {

/// One line of /proc/<pid>/stat, the fields the sandbox needs.
struct ProcStat {
  pid_t pid = 0;
  pid_t ppid = 0;
  pid_t pgrp = 0;
  char state = '?';              ///< R, S, D, Z (zombie), T, ...
  std::uint64_t start_time = 0;  ///< clock ticks since boot; with the pid, a process's identity

  /// True unless the process is a zombie (exited, waiting to be reaped).
  bool alive() const { return state != 'Z' && state != 'X'; }
};

/// The stat line of one process, or nothing when it does not exist.
std::optional<ProcStat> read_proc_stat(pid_t pid);

/// True when that very process (pid and start time) is still alive and not a zombie.
/// A start time of 0 checks the pid alone.
bool process_alive(pid_t pid, std::uint64_t start_time);

/// Every process visible in /proc, in no particular order.
std::vector<ProcStat> list_processes();

/// The children, grandchildren, ... of root (not root itself) that exist now.
std::vector<ProcStat> descendants(pid_t root);

}  // namespace mgate::sandbox
