#include "src/confirm.hpp"

#include <unistd.h>

#include <iostream>

#include "backend/core/strings.hpp"

namespace mgate::cli {

using backend::ErrorCode;
using backend::make_error;

backend::Status confirm(Io& io, const backend::ops::Confirmation& confirmation, const ConfirmInput& input) {
  if (input.yes || input.in == nullptr)
    return backend::ops::check_noninteractive(confirmation, input.yes, input.confirm_env);
  std::string answer;
  if (confirmation.type_to_confirm) {
    io.err << confirmation.question << "\n"
           << "Environment " << *confirmation.type_to_confirm
           << " is protected. Type its name to confirm: " << std::flush;
    std::getline(*input.in, answer);
    if (backend::trim(answer) == *confirmation.type_to_confirm) return backend::ok_status();
    return make_error(ErrorCode::kRefused, "refused: the name typed does not match; nothing was changed");
  }
  io.err << confirmation.question << " [y/N] " << std::flush;
  std::getline(*input.in, answer);
  const auto a = backend::trim(answer);
  if (a == "y" || a == "Y" || a == "yes") return backend::ok_status();
  return make_error(ErrorCode::kRefused, "refused: not confirmed; nothing was changed");
}

ConfirmInput terminal_input(bool yes, std::optional<std::string> confirm_env) {
  ConfirmInput input;
  input.yes = yes;
  input.confirm_env = std::move(confirm_env);
  if (::isatty(STDIN_FILENO) == 1) input.in = &std::cin;
  return input;
}

}  // namespace mgate::cli
