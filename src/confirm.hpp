#pragma once
// Confirmation of a planned action on the command line (DESIGN.md §6).

#include <istream>
#include <optional>
#include <string>

#include "backend/ops/guard.hpp"
#include "src/cli.hpp"

namespace mgate::cli {

/// How the person answers: the flags, and the terminal when there is one.
struct ConfirmInput {
  bool yes = false;                         ///< --yes
  std::optional<std::string> confirm_env;   ///< --confirm-env NAME
  std::istream* in = nullptr;               ///< the answers; nullptr = no terminal
};

/// Asks for (or checks) the confirmation. With --yes the flags decide; without
/// it, a terminal prompt asks "[y/N]", or for the environment's name when it is
/// protected. No terminal and no --yes is a refusal, never a silent yes.
backend::Status confirm(Io& io, const backend::ops::Confirmation& confirmation, const ConfirmInput& input);

/// The ConfirmInput for this process: std::cin when stdin is a terminal.
ConfirmInput terminal_input(bool yes, std::optional<std::string> confirm_env);

}  // namespace mgate::cli
