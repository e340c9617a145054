#pragma once
// Evidence for teardown tests: which processes a tree holds now, which of them survive later.

#include <sys/types.h>

#include <string>
#include <vector>

#include "tests/sandbox/process_table.hpp"

namespace mgate::sandbox::testing {

/// The root and all its descendants, now.
std::vector<ProcStat> process_tree(pid_t root);

/// Those of `procs` still alive: same pid and start time, not a zombie.
std::vector<ProcStat> survivors(const std::vector<ProcStat>& procs);

/// Live processes whose command line contains `text` (a work dir path, say).
std::vector<ProcStat> processes_mentioning(const std::string& text);

/// "1234 (postgres -D ...), 1240 (moto_server ...)" for failure messages.
std::string describe(const std::vector<ProcStat>& procs);

}  // namespace mgate::sandbox::testing
