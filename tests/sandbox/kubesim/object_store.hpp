#pragma once
// The simulator's etcd: every object as JSON, one resourceVersion counter for the whole store,
// and a bounded history of changes that watches resume from. Thread-safe; every method takes
// the one lock, and controllers wait on wait_for_change() instead of polling blindly.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "tests/sandbox/kubesim/api_error.hpp"
#include "tests/sandbox/kubesim/resources.hpp"

namespace mgate::kubesim {

/// A watch event's type, as the API spells it.
enum class ChangeType { kAdded, kModified, kDeleted };

/// "ADDED", "MODIFIED", "DELETED".
const char* to_string(ChangeType type);

/// One change of one object; `object` is the object after the change (before, for a delete,
/// with the delete's resourceVersion).
struct Change {
  std::uint64_t rv = 0;
  ChangeType type = ChangeType::kAdded;
  std::string resource;  ///< store key, "jobs.batch"
  Json object;
};

/// A page of a list.
struct ListPage {
  std::vector<Json> items;
  std::uint64_t rv = 0;           ///< the list's resourceVersion
  std::string continue_token;     ///< empty on the last page
  std::int64_t remaining = -1;    ///< remainingItemCount when a page was cut, else -1
};

/// The object store.
class ObjectStore {
 public:
  /// history: how many changes watches can resume from before they get 410 Expired.
  explicit ObjectStore(std::size_t history = 20000);

  /// Stores a new object of `resource` (a store key). Sets metadata.uid, resourceVersion,
  /// creationTimestamp (now, RFC 3339 seconds), generation 1 (except pods, events, secrets,
  /// configmaps, namespaces, which the real server leaves without one), and for generateName a
  /// random 5-character suffix. Throws AlreadyExists. Returns the stored object.
  Json create(const std::string& resource, Json object);

  /// The object, or nullopt.
  std::optional<Json> get(const std::string& resource, const std::string& ns,
                          const std::string& name) const;
  /// The object, or throws NotFound.
  Json get_or_throw(const std::string& resource, const std::string& ns,
                    const std::string& name) const;

  /// Every object of `resource` in `ns` ("" = all namespaces), ordered by namespace then name.
  std::vector<Json> list(const std::string& resource, const std::string& ns = {}) const;

  /// A page of the objects for which `keep` is true: at most `limit` (0 = all) starting after
  /// the continue token's position. Throws 410 Expired for a token older than the last
  /// compact(), 400 BadRequest for a token that is not one of ours.
  ListPage list_page(const std::string& resource, const std::string& ns,
                     const std::function<bool(const Json&)>& keep, std::int64_t limit,
                     const std::string& continue_token) const;

  /// Read-modify-write under the lock: `mutate` edits a copy and returns whether it changed
  /// anything. A change bumps resourceVersion (and generation when `spec` changed, for
  /// resources that have one) and is recorded. Throws NotFound. Returns the object after.
  Json update(const std::string& resource, const std::string& ns, const std::string& name,
              const std::function<bool(Json&)>& mutate);

  /// Removes the object now (no finalizers here: deletion policy lives in the server) and
  /// records a DELETED change. Throws NotFound. Returns the object as deleted.
  Json remove(const std::string& resource, const std::string& ns, const std::string& name);

  /// The newest resourceVersion.
  std::uint64_t resource_version() const;

  /// Changes of `resource` ("" = every resource) after `after_rv`, waiting up to `timeout` for
  /// the first one. Throws 410 Expired when `after_rv` is older than the retained history.
  std::vector<Change> changes_since(const std::string& resource, std::uint64_t after_rv,
                                    std::chrono::milliseconds timeout) const;

  /// Waits until the store's resourceVersion passes `seen` or the timeout ends; returns the
  /// newest resourceVersion. What controllers loop on.
  std::uint64_t wait_for_change(std::uint64_t seen, std::chrono::milliseconds timeout) const;

  /// Wakes every waiter (shutdown).
  void notify_all() const;

  /// Forgets the history and invalidates every continue token issued so far, as an etcd
  /// compaction does.
  void compact();

 private:
  using Key = std::pair<std::string, std::string>;  // namespace, name
  void record(ChangeType type, const std::string& resource, const Json& object);

  mutable std::mutex mu_;
  mutable std::condition_variable changed_;
  std::map<std::string, std::map<Key, Json>> objects_;  // by resource key
  std::deque<Change> history_;
  std::size_t history_limit_;
  std::uint64_t rv_ = 1000;
  std::uint64_t compacted_rv_ = 0;  // continue tokens issued at or before this are expired
};

/// prefix + 5 random characters, as the apiserver's name generator makes them.
std::string generate_name(const std::string& prefix);
/// A fresh RFC 4122 version-4 uid.
std::string new_uid();
/// Now as the API writes timestamps: "2026-11-21T10:00:00Z".
std::string now_rfc3339();
/// Now with microseconds, as Event series and MicroTime fields carry: "...T10:00:00.123456Z".
std::string now_rfc3339_micro();

}  // namespace mgate::kubesim
