#pragma once
// A collection kept current by a watch, the way client-go's informers keep one: a list, then a
// watch from the list's resourceVersion on a thread of its own (with a client of its own: an
// ApiClient serves one thread at a time). A refresh then reads what the events made of the list,
// at no request. A resume point the server no longer has (410 Expired) lists again at once; any
// other failure is what current() answers until a list succeeds again, after a pause.
// Each object is turned into what the cache keeps (`Convert`, usually a view), so the objects
// themselves are not held.

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "backend/kube/api_client.hpp"

namespace mgate::backend::kube {

template <typename T>
class WatchedList {
 public:
  /// What the cache keeps of an object (it may move from it); nullopt leaves it out.
  using Convert = std::function<std::optional<T>(Json& object)>;

  WatchedList(std::unique_ptr<ApiClient> client, ResourceRef resource, std::string ns, ListOptions options,
              Convert convert, std::chrono::milliseconds retry_after = std::chrono::seconds(1))
      : client_(std::move(client)),
        resource_(std::move(resource)),
        ns_(std::move(ns)),
        options_(std::move(options)),
        convert_(std::move(convert)),
        retry_after_(retry_after) {}
  ~WatchedList() {
    if (thread_.joinable()) {
      thread_.request_stop();  // wakes the watch's poll and the pause between attempts
      thread_.join();
    }
  }
  WatchedList(const WatchedList&) = delete;
  WatchedList& operator=(const WatchedList&) = delete;

  /// Every item the collection holds now. The first call starts the thread and waits up to
  /// `first_sync` for its list; later calls wait for nothing and send nothing. An error while
  /// the last list or watch has failed (the caller keeps its last good value).
  Result<std::vector<T>> current(std::chrono::milliseconds first_sync) {
    std::unique_lock lock(mutex_);
    if (!thread_.joinable()) thread_ = std::jthread([this](std::stop_token stop) { run(stop); });
    changed_.wait_for(lock, first_sync, [this] { return synced_ || error_.has_value(); });
    if (error_) return *error_;
    if (!synced_) {
      return make_error(ErrorCode::kTimeout, fmt::format("Kubernetes list {}{}: no answer within {} ms",
                                                         resource_.qualified(), ns_.empty() ? "" : " in " + ns_,
                                                         first_sync.count()),
                        "", true);
    }
    std::vector<T> out;
    out.reserve(items_.size());
    for (const auto& [uid, item] : items_) out.push_back(item);
    return out;
  }

  /// Changes the kept item of `uid` in place, if there is one (until an event replaces it).
  void modify(const std::string& uid, const std::function<void(T&)>& change) {
    std::lock_guard lock(mutex_);
    if (auto it = items_.find(uid); it != items_.end()) change(it->second);
  }

  /// How many lists it has taken (one while the watch holds).
  int lists() const {
    std::lock_guard lock(mutex_);
    return lists_;
  }

 private:
  static std::string uid_of(const Json& object) {
    if (!object.is_object()) return {};
    const auto meta = object.find("metadata");
    return meta != object.end() && meta->is_object() ? meta->value("uid", std::string{}) : std::string{};
  }

  void run(const std::stop_token& stop) {
    while (!stop.stop_requested()) {
      std::map<std::string, T> fresh;
      auto listed = client_->list_each(
          resource_, ns_, options_,
          [&](Json& object) {
            std::string uid = uid_of(object);  // before convert_, which may take the object
            if (auto item = convert_(object)) fresh.insert_or_assign(std::move(uid), std::move(*item));
            return ok_status();
          },
          [&] { fresh.clear(); }, stop);
      Status watched = ok_status();
      if (listed) {
        {
          std::lock_guard lock(mutex_);
          items_ = std::move(fresh);
          synced_ = true;
          error_.reset();
          ++lists_;
        }
        changed_.notify_all();
        watched = client_->watch(resource_, ns_, options_, listed->resource_version,
                                 [this](const WatchEvent& event) { return apply(event); }, stop);
        if (stop.stop_requested()) return;
        // Expired: the history moved past the resume point; the list is read again at once.
        if (watched.ok() || watched.error().detail == "Expired") continue;
      }
      {
        std::lock_guard lock(mutex_);
        error_ = listed ? watched.error() : listed.error();
      }
      changed_.notify_all();
      std::mutex pause;
      std::unique_lock lock(pause);
      std::condition_variable_any().wait_for(lock, stop, retry_after_, [] { return false; });
    }
  }

  bool apply(const WatchEvent& event) {
    if (event.type == "BOOKMARK") return true;
    Json object = event.object;
    const std::string uid = uid_of(object);
    std::optional<T> item;
    if (event.type != "DELETED") item = convert_(object);
    std::lock_guard lock(mutex_);
    if (item) {
      items_.insert_or_assign(uid, std::move(*item));
    } else {
      items_.erase(uid);
    }
    return true;
  }

  std::unique_ptr<ApiClient> client_;
  ResourceRef resource_;
  std::string ns_;
  ListOptions options_;
  Convert convert_;
  std::chrono::milliseconds retry_after_;

  mutable std::mutex mutex_;
  std::condition_variable_any changed_;
  std::map<std::string, T> items_;  // by uid
  bool synced_ = false;
  std::optional<Error> error_;
  int lists_ = 0;
  std::jthread thread_;  // last: stopped and joined before the members it uses go
};

}  // namespace mgate::backend::kube
