#pragma once
// Tear every live sandbox down on SIGINT, SIGTERM or SIGHUP, then die of that signal.
//
// The handler only writes the signal number to a self-pipe; a watcher thread reads it, runs
// each enrolled teardown (a Sandbox: services stopped, reaped, temp dir removed) and re-raises
// the signal with its default disposition, so the process ends as the signal would have ended
// it, only after the cleanup. Handlers are installed while at least one teardown is enrolled;
// a signal the process ignored at that moment (a background job's SIGINT) stays ignored.

#include <functional>

namespace mgate::sandbox {

/// The process-wide registry of teardowns to run on a fatal signal.
class SignalTeardown {
 public:
  /// Adds a teardown under `key` (a Sandbox enrolls itself); the first one installs the
  /// handlers and starts the watcher. The teardown runs on the watcher thread.
  static void enroll(const void* key, std::function<void()> teardown);
  /// Removes the teardown of `key`; the last one restores the previous handlers. Blocks
  /// while the watcher runs teardowns, so an object is never destroyed under it.
  static void withdraw(const void* key);
  /// When the watcher has taken a signal, blocks until it ends the process; else returns.
  /// Code that would otherwise go on (a start that failed because its sandbox was torn
  /// down, a destructor) calls it, so the process always dies of the signal rather than
  /// racing the watcher to a normal exit.
  static void wait_if_dying();
};

}  // namespace mgate::sandbox
