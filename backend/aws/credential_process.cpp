#include "backend/aws/credential_process.hpp"

#include <sys/wait.h>

#include <fmt/format.h>

#include <cstring>
#include <nlohmann/json.hpp>

#include "backend/core/subprocess.hpp"

namespace mgate::backend::aws {
namespace {

bool process_is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

Error process_error(const std::string& name, std::string why, ErrorCode code = ErrorCode::kUnauthenticated) {
  return make_error(code, fmt::format("{}: {}", name, why));
}

Error output_error(const std::string& name, std::string why) {
  return process_error(name, std::move(why), ErrorCode::kProtocol);
}

/// The child's output, both streams, and how it ended.
using ProcessOutput = SubprocessResult;

Result<ProcessOutput> run(const std::vector<std::string>& argv, const std::string& name,
                          std::chrono::milliseconds timeout) {
  // stdin is /dev/null: the console owns the terminal, and a helper that prompts opens
  // /dev/tty itself.
  SubprocessResult result = run_subprocess(SubprocessRequest{argv, std::nullopt, timeout});
  switch (result.outcome) {
    case SubprocessResult::Outcome::kSpawnFailed:
      if (result.failed_call == "pipe") {
        return make_error(ErrorCode::kIo, fmt::format("{}: pipe: {}", name, std::strerror(result.error_number)));
      }
      return make_error(ErrorCode::kIo,
                        fmt::format("{}: cannot run {}: {}", name, argv[0], std::strerror(result.error_number)));
    case SubprocessResult::Outcome::kTimedOut:
      return make_error(ErrorCode::kTimeout,
                        fmt::format("{}: {} did not finish within {} ms", name, argv[0], timeout.count()));
    case SubprocessResult::Outcome::kExited:
      break;
  }
  return result;
}

std::string first_line(const std::string& text) {
  const std::size_t end = text.find('\n');
  std::string line = text.substr(0, end);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

}  // namespace

Result<std::vector<std::string>> split_command(std::string_view command) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  for (std::size_t i = 0; i < command.size(); ++i) {
    const char c = command[i];
    if (process_is_space(c)) {
      if (in_word) words.push_back(std::move(word));
      word.clear();
      in_word = false;
      continue;
    }
    in_word = true;
    if (c == '\\') {
      if (++i < command.size()) word += command[i];
    } else if (c == '\'') {
      const std::size_t end = command.find('\'', i + 1);
      if (end == std::string_view::npos) return make_error(ErrorCode::kInvalidArgument, "unclosed '");
      word.append(command.substr(i + 1, end - i - 1));
      i = end;
    } else if (c == '"') {
      for (++i;; ++i) {
        if (i >= command.size()) return make_error(ErrorCode::kInvalidArgument, "unclosed \"");
        if (command[i] == '"') break;
        // Inside double quotes POSIX shlex only lets a backslash escape these.
        if (command[i] == '\\' && i + 1 < command.size() &&
            std::strchr("\\\"$`\n", command[i + 1]) != nullptr) {
          ++i;
        }
        word += command[i];
      }
    } else {
      word += c;
    }
  }
  if (in_word) words.push_back(std::move(word));
  return words;
}

Result<Credentials> parse_process_output(std::string_view output, const std::string& name) {
  // nlohmann's messages quote the input near the fault: never show them, the input is secret.
  const auto json = nlohmann::json::parse(output, nullptr, false);
  if (json.is_discarded() || !json.is_object()) {
    return output_error(name, "the output is not a JSON object");
  }
  const auto version = json.find("Version");
  if (version == json.end() || !version->is_number_integer() || version->get<int>() != 1) {
    return output_error(name, "unsupported output: Version must be 1");
  }
  const auto text = [&](const char* key) -> std::optional<std::string> {
    const auto it = json.find(key);
    if (it == json.end() || !it->is_string()) return std::nullopt;
    return it->get<std::string>();
  };
  Credentials creds;
  for (const char* key : {"AccessKeyId", "SecretAccessKey"}) {
    if (!text(key) || text(key)->empty()) {
      return output_error(name, fmt::format("the output has no string {}", key));
    }
  }
  creds.access_key_id = *text("AccessKeyId");
  creds.secret_access_key = Secret(*text("SecretAccessKey"));
  if (auto token = text("SessionToken")) creds.session_token = Secret(std::move(*token));
  if (json.contains("Expiration")) {
    const auto when = text("Expiration");
    if (!when) return output_error(name, "Expiration is not a string");
    auto parsed = parse_rfc3339(*when);
    if (!parsed) return output_error(name, "Expiration is not an RFC 3339 time");
    creds.expiration = *parsed;
  }
  return creds;
}

Result<Credentials> run_credential_process(const std::string& command, const std::string& name,
                                           std::chrono::milliseconds timeout) {
  auto argv = split_command(command);
  if (!argv) return process_error(name, "cannot split the command: " + argv.error().message);
  if (argv->empty()) return process_error(name, "the command is empty");
  auto result = run(*argv, name, timeout);
  if (!result) return result.error();
  const int status = result->status;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    // stderr is the process's message for a person; stdout may hold a secret and is not shown.
    const std::string how = WIFEXITED(status) ? fmt::format("exited with status {}", WEXITSTATUS(status))
                                              : fmt::format("was killed by signal {}", WTERMSIG(status));
    const std::string line = first_line(result->err);
    return process_error(name, fmt::format("{} {}{}{}", (*argv)[0], how, line.empty() ? "" : ": ", line));
  }
  return parse_process_output(result->out, name);
}

}  // namespace mgate::backend::aws
