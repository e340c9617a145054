#include "backend/ops/guard.hpp"

#include <fmt/format.h>

namespace mgate::backend::ops {

Error refusal(std::string message, std::string detail) {
  return make_error(ErrorCode::kRefused, "refused: " + std::move(message), std::move(detail));
}

Status check_writable(const config::Config& config, const config::Environment& env,
                      bool read_only_flag) {
  const char* why = nullptr;
  if (read_only_flag) why = "mgate runs with --read-only";
  else if (config.read_only) why = "the configuration sets read_only: true";
  else if (env.read_only) why = "the environment sets read_only: true";
  if (why == nullptr) return ok_status();
  return make_error(ErrorCode::kRefused,
                    fmt::format("refused: environment {} is read-only ({}); nothing was changed", env.name, why));
}

Confirmation confirmation_for(const config::Environment& env, std::string question) {
  Confirmation c;
  c.question = std::move(question);
  if (env.protected_) c.type_to_confirm = env.name;
  return c;
}

Status check_noninteractive(const Confirmation& confirmation, bool yes,
                            const std::optional<std::string>& typed_env) {
  if (!yes)
    return make_error(ErrorCode::kRefused,
                      "refused: not confirmed; answer the prompt on a terminal or pass --yes");
  if (confirmation.type_to_confirm && typed_env != confirmation.type_to_confirm)
    return make_error(ErrorCode::kRefused,
                      fmt::format("refused: environment {0} is protected; pass --confirm-env {0} with --yes, "
                                  "or type its name at the prompt",
                                  *confirmation.type_to_confirm));
  return ok_status();
}

}  // namespace mgate::backend::ops
