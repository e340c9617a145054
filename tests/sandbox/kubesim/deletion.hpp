#pragma once
// Deleting objects as the API server and its garbage collector do: propagation policies,
// graceful pod deletion, and dependents found through ownerReferences.

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <thread>

#include "tests/sandbox/kubesim/object_store.hpp"

namespace mgate::kubesim {

/// DeleteOptions.propagationPolicy.
enum class Propagation { kOrphan, kBackground, kForeground };

/// "Orphan" / "Background" / "Foreground" → the policy; throws 400 BadRequest otherwise.
Propagation parse_propagation(const std::string& text);

/// Deletes one object as a DELETE request does and returns what the response carries (the
/// object as deleted, or as marked when deletion is graceful / in the foreground):
/// - pods: graceful unless grace_seconds is 0, the pod is terminal or unscheduled: the pod
///   gets deletionTimestamp and deletionGracePeriodSeconds (default: its
///   terminationGracePeriodSeconds) and the kubelet stops it and removes it;
/// - Orphan: the object's dependents lose their ownerReference to it, then it goes;
/// - Background: it goes now; the GarbageCollector deletes its dependents after;
/// - Foreground: it gets deletionTimestamp and the foregroundDeletion finalizer, its dependents
///   are deleted, and the GarbageCollector removes it once none is left.
/// Throws NotFound.
Json delete_object(ObjectStore& store, const std::string& resource, const std::string& ns,
                   const std::string& name, Propagation policy,
                   std::optional<std::int64_t> grace_seconds = std::nullopt);

/// The default policy of a resource when the request names none: batch/v1 Jobs orphan their
/// pods (the REST strategy's DefaultGarbageCollectionPolicy); everything else is Background.
Propagation default_propagation(const std::string& resource);

/// The garbage collector: deletes objects whose controlling owner is gone, and finishes
/// foreground deletions once their dependents are gone.
class GarbageCollector {
 public:
  explicit GarbageCollector(ObjectStore& store) : store_(store) {}
  ~GarbageCollector() { stop(); }
  GarbageCollector(const GarbageCollector&) = delete;
  GarbageCollector& operator=(const GarbageCollector&) = delete;

  /// Runs sweeps on a thread, after every store change.
  void start();
  /// Stops the thread.
  void stop();
  /// One sweep (for tests, and what the thread runs).
  void sweep();

 private:
  ObjectStore& store_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace mgate::kubesim
