// mgate-sandbox: start, stop and use the sandbox services from the shell (see sandbox_cli.hpp).

#include <CLI/CLI.hpp>

#include "tests/sandbox/sandbox_cli.hpp"

int main(int argc, char** argv) {
  using mgate::sandbox::command_down;
  using mgate::sandbox::command_status;
  using mgate::sandbox::command_run_scenario;
  using mgate::sandbox::command_up_scenario;

  CLI::App app{"Sandbox services for mgate's tests and demo: PostgreSQL, moto_server, docker-registry"};
  app.require_subcommand(1);
  std::string dir;
  std::string run_dir;
  int timeout = 60;
  int exit_with = 0;
  std::vector<std::string> command;
  std::string scenario;

  CLI::App* up =
      app.add_subcommand("up", "start the sandbox in the background and write DIR/env, DIR/mgate.yaml");
  up->add_option("--dir", dir, "where the env file, mgate.yaml, pid and log go")->required();
  up->add_option("--timeout", timeout, "seconds the services may take to answer")->capture_default_str();
  up->add_option("--exit-with", exit_with, "also stop when the process of this pid exits");
  up->add_option("--scenario", scenario, "seed a scenario of tests/sandbox/scenarios before writing the env file");

  CLI::App* down = app.add_subcommand("down", "stop the sandbox started by up --dir DIR");
  down->add_option("--dir", dir, "the directory given to up")->required();
  down->add_option("--timeout", timeout, "seconds to wait before SIGKILL")->capture_default_str();

  CLI::App* status = app.add_subcommand("status", "say whether the sandbox of DIR runs");
  status->add_option("--dir", dir, "the directory given to up")->required();

  CLI::App* run = app.add_subcommand("run", "start the sandbox, run a command with its env, tear down");
  run->add_option("--dir", run_dir, "write env and mgate.yaml here (default: the temp work dir)");
  run->add_option("--timeout", timeout, "seconds the services may take to answer")->capture_default_str();
  run->add_option("--scenario", scenario, "seed a scenario of tests/sandbox/scenarios before the command runs");
  run->add_option("command", command, "the command and its arguments, after --")->required();

  CLI11_PARSE(app, argc, argv);
  const auto seconds = std::chrono::seconds(timeout);
  if (up->parsed()) return command_up_scenario(dir, seconds, static_cast<pid_t>(exit_with), scenario);
  if (down->parsed()) return command_down(dir, seconds);
  if (status->parsed()) return command_status(dir);
  std::optional<std::filesystem::path> files;
  if (!run_dir.empty()) files = run_dir;
  return command_run_scenario(files, command, seconds, scenario);
}
