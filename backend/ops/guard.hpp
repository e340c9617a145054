#pragma once
// The guards every action shares (DESIGN.md §6): read-only mode and confirmation.

#include <optional>
#include <string>
#include <string_view>

#include "backend/config/config.hpp"
#include "backend/core/error.hpp"

namespace mgate::backend::ops {

/// A guard's refusal: ErrorCode::kRefused, the message starting "refused: ".
Error refusal(std::string message, std::string detail = {});

/// Refuses (ErrorCode::kRefused) when any read-only switch covers this
/// environment: the --read-only flag, the file's top-level `read_only`, or the
/// environment's own `read_only`. The message names the switch that is on.
Status check_writable(const config::Config& config, const config::Environment& env,
                      bool read_only_flag);

/// What a person must do to let an action run.
struct Confirmation {
  std::string question;                    ///< "Stamp stage to 48871d03964b?"
  std::optional<std::string> type_to_confirm;  ///< the env name, when the env is protected
};

/// The confirmation an action on this environment needs.
Confirmation confirmation_for(const config::Environment& env, std::string question);

/// Checks a non-interactive confirmation (`--yes`, `--confirm-env NAME`): a
/// protected environment needs its name given as well as --yes.
Status check_noninteractive(const Confirmation& confirmation, bool yes,
                            const std::optional<std::string>& typed_env);

}  // namespace mgate::backend::ops
