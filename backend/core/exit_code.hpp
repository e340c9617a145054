#pragma once
// The command line's stable exit codes (DESIGN.md §4).

#include "backend/core/error.hpp"

namespace mgate::backend {

/// Process exit codes; scripts depend on these numbers, never renumber them.
enum class ExitCode : int {
  kOk = 0,       ///< done
  kFailed = 1,   ///< an operation failed
  kUsage = 2,    ///< bad command line or configuration
  kRefused = 3,  ///< a guard refused an action; nothing changed
  kPartial = 4,  ///< the answer is incomplete: some source failed
};

/// The exit code a command ends with when it fails with this error.
inline ExitCode exit_code_for(const Error& e) {
  switch (e.code) {
    case ErrorCode::kInvalidArgument: return ExitCode::kUsage;
    case ErrorCode::kRefused:
    case ErrorCode::kConflict: return ExitCode::kRefused;
    default: return ExitCode::kFailed;
  }
}

}  // namespace mgate::backend
