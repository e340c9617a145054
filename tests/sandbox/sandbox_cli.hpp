#pragma once
// The mgate-sandbox command: the sandbox from the shell.
//
//   mgate-sandbox up --dir build/sandbox        start in the background; writes env, mgate.yaml, pid
//                    [--exit-with PID]           ... and stop when process PID exits
//                    [--scenario NAME]           ... seeded with tests/sandbox/scenarios/NAME.json
//   mgate-sandbox down --dir build/sandbox      stop it (exit 0 when it was not running)
//   mgate-sandbox status --dir build/sandbox    0 when running, 1 when not
//   mgate-sandbox run [--dir D] -- CMD ARGS...  start, run CMD with the env, tear down

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace mgate::sandbox {

/// `up`: forks a holder process that owns the sandbox, waits until it is ready or failed.
/// With `exit_with` > 0 the holder also stops once that process has exited (a test binary
/// that may be SIGKILLed before its `down`). Returns the exit code (0 ready, 1 failed).
int command_up(const std::filesystem::path& dir, std::chrono::seconds timeout, pid_t exit_with);

/// `up` seeded with a scenario (scenario.hpp) before the env file is written; "" for none.
/// An unknown name is a usage error (exit 2) listing the known ones.
int command_up_scenario(const std::filesystem::path& dir, std::chrono::seconds timeout, pid_t exit_with,
                        const std::string& scenario);

/// `down`: SIGTERM to the holder, waits until it is gone (SIGKILL after `timeout`), removes
/// what a dead holder may have left. Exit code 0, also when nothing was running.
int command_down(const std::filesystem::path& dir, std::chrono::seconds timeout);

/// `status`: prints whether the holder runs and its env file. 0 running, 1 not.
int command_status(const std::filesystem::path& dir);

/// `run`: starts a sandbox in this process, runs the command with the sandbox's variables in
/// its environment, tears down, and ends with the command's status: its exit code, or the
/// signal that killed it, re-raised.
int command_run(const std::optional<std::filesystem::path>& dir, const std::vector<std::string>& command,
                std::chrono::seconds timeout);

/// `run` seeded with a scenario before the command starts; "" for none (exit 2 when unknown).
int command_run_scenario(const std::optional<std::filesystem::path>& dir, const std::vector<std::string>& command,
                         std::chrono::seconds timeout, const std::string& scenario);

}  // namespace mgate::sandbox
