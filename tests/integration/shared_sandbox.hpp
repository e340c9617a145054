#pragma once
// The integration binary's one sandbox, started on first use and torn down after the last
// test. A sandbox that cannot start FAILS every test that asks for it: never a skip.

#include <filesystem>
#include <string>
#include <vector>

#include "tests/sandbox/command.hpp"
#include "tests/sandbox/sandbox.hpp"

namespace mgate::sandbox::testing {

/// The shared sandbox, or why it could not start (the same error for every caller).
Result<Sandbox*> shared_sandbox();

/// The sandbox's env file variables plus `extra`, for a child process.
EnvVars sandbox_env(const Sandbox& sandbox, const EnvVars& extra = {});

/// Creates a database on the sandbox's server (through the passfile) and returns its name:
/// `prefix` plus a per-process suffix, so reruns never collide.
Result<std::string> create_database(const Sandbox& sandbox, const std::string& prefix);

/// The mgate binary of this build ($MGATE_BUILD_DIR/bin/mgate) run with `env` and `args`; a
/// command that could not be started comes back with exit code -1 and the reason on stderr.
CommandResult run_mgate(const EnvVars& env, const std::vector<std::string>& args);

/// Debian's alembic (`/usr/bin/python3 -m alembic -c <the example app's alembic.ini> ARGS`) on one
/// of the sandbox's databases ("stage", "prod", or a database name); the caller judges the result.
CommandResult run_alembic(const Sandbox& sandbox, const std::string& database, const std::vector<std::string>& args);

/// A fresh temp dir for a test (not an mgate-sandbox-* one: the sweep must not touch it),
/// removed by a janitor when the binary ends, however it ends.
std::filesystem::path make_test_dir(const std::string& tag);

/// The lines `export K='V'` of an env file as K, V pairs.
EnvVars read_env_file(const std::filesystem::path& path);

/// The value of key in vars, or "".
std::string env_value(const EnvVars& vars, const std::string& key);

}  // namespace mgate::sandbox::testing
