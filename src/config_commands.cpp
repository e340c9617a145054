// `mgate config check`, and the configuration loading every command shares.

#include <fmt/format.h>
#include <fmt/ostream.h>

#include <nlohmann/json.hpp>

#include "src/cli.hpp"

namespace mgate::cli {
namespace cfg = backend::config;

nlohmann::json error_json(const backend::Error& error) {
  return {{"code", backend::to_string(error.code)}, {"message", error.message}, {"detail", error.detail}};
}

void print_error(Io& io, const backend::Error& error) {
  io.err << "mgate: " << error.message << "\n";
  if (!error.detail.empty()) io.err << "  " << error.detail << "\n";
}

ExitCode fail(Io& io, const backend::Error& error) {
  print_error(io, error);
  return backend::exit_code_for(error);
}

namespace {

void print_diagnostics(Io& io, const std::vector<cfg::Diagnostic>& diagnostics) {
  for (const auto& d : diagnostics) io.err << d.format() << "\n";
}

std::size_t count_errors(const std::vector<cfg::Diagnostic>& diagnostics) {
  std::size_t n = 0;
  for (const auto& d : diagnostics) n += d.severity == cfg::Diagnostic::Severity::kError ? 1 : 0;
  return n;
}

}  // namespace

ConfigOrExit load_config(const GlobalOptions& global, Io& io) {
  std::optional<std::filesystem::path> flag;
  if (!global.config_file.empty()) flag = global.config_file;
  auto located = cfg::locate(flag);
  if (!located) {
    print_error(io, located.error());
    return {std::nullopt, ExitCode::kUsage};
  }
  auto result = cfg::load(located->path);
  if (auto* failure = std::get_if<cfg::LoadFailure>(&result)) {
    print_diagnostics(io, failure->diagnostics);
    const std::size_t errors = count_errors(failure->diagnostics);
    io.err << fmt::format("mgate: {} error{} in {}\n", errors, errors == 1 ? "" : "s",
                          located->path.string());
    return {std::nullopt, ExitCode::kUsage};
  }
  auto& loaded = std::get<cfg::Loaded>(result);
  print_diagnostics(io, loaded.warnings);
  if (!global.env.empty() && loaded.config.find(global.env) == nullptr) {
    std::vector<std::string> names;
    for (const auto& e : loaded.config.environments) names.push_back(e.name);
    io.err << fmt::format("mgate: no environment '{}' in {}; it has: {}\n", global.env,
                          located->path.string(), fmt::join(names, ", "));
    return {std::nullopt, ExitCode::kUsage};
  }
  return {std::move(loaded), ExitCode::kOk};
}

void add_config_commands(CLI::App& app, const GlobalOptions& global, Io& io, Runner* run) {
  auto* config = app.add_subcommand("config", "inspect the configuration");
  config->require_subcommand(1);
  auto* check = config->add_subcommand(
      "check", "validate the configuration and print it resolved (defaults filled, secrets redacted)");
  auto json = std::make_shared<bool>(false);
  check->add_flag("--json", *json, "print the resolved configuration as JSON");
  check->callback([&global, &io, run, json] {
    *run = [&global, &io, json] {
      auto loaded = load_config(global, io);
      if (!loaded.loaded) return loaded.exit;
      const auto& config = loaded.loaded->config;
      if (*json) {
        io.out << cfg::to_json(config) << "\n";
      } else {
        io.out << "# " << config.source.string() << ": ok, " << config.environments.size()
               << (config.environments.size() == 1 ? " environment" : " environments") << "\n";
        io.out << cfg::to_yaml(config);
      }
      return ExitCode::kOk;
    };
  });
}

}  // namespace mgate::cli
