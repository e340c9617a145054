#include "tests/sandbox/kubesim/deletion.hpp"

#include <set>

namespace mgate::kubesim {

Propagation parse_propagation(const std::string& text) {
  if (text == "Orphan") return Propagation::kOrphan;
  if (text == "Background") return Propagation::kBackground;
  if (text == "Foreground") return Propagation::kForeground;
  throw bad_request("DeleteOptions.meta.k8s.io \"\" is invalid: propagationPolicy: Unsupported "
                    "value: \"" + text + "\": supported values: \"Foreground\", \"Background\", "
                    "\"Orphan\", \"nil\"");
}

Propagation default_propagation(const std::string& resource) {
  return resource == kJobs ? Propagation::kOrphan : Propagation::kBackground;
}

namespace {

// The resources whose objects can be dependents: what our controllers create with an owner.
const char* const kDependentResources[] = {kPods};

bool owned_by(const Json& object, const std::string& owner_uid) {
  const Json& refs = object["metadata"].value("ownerReferences", Json::array());
  for (const auto& ref : refs) {
    if (ref.value("uid", "") == owner_uid) return true;
  }
  return false;
}

bool is_terminal_pod(const Json& pod) {
  const std::string phase = pod.value("status", Json::object()).value("phase", "");
  return phase == "Succeeded" || phase == "Failed";
}

// Every dependent of an owner, as (resource, namespace, name).
std::vector<std::tuple<std::string, std::string, std::string>> dependents_of(
    const ObjectStore& store, const std::string& ns, const std::string& uid) {
  std::vector<std::tuple<std::string, std::string, std::string>> out;
  for (const char* res : kDependentResources) {
    for (const Json& o : store.list(res, ns)) {
      if (owned_by(o, uid)) out.emplace_back(res, ns, o["metadata"].value("name", ""));
    }
  }
  return out;
}

Json delete_pod(ObjectStore& store, const std::string& ns, const std::string& name,
                std::optional<std::int64_t> grace_seconds) {
  const Json pod = store.get_or_throw(kPods, ns, name);
  const bool scheduled = !pod.value("spec", Json::object()).value("nodeName", "").empty();
  std::int64_t grace = grace_seconds.value_or(
      pod.value("spec", Json::object()).value("terminationGracePeriodSeconds", 30));
  // The pod strategy: terminal or never-scheduled pods have nothing to stop.
  if (is_terminal_pod(pod) || !scheduled) grace = 0;
  if (grace == 0) return store.remove(kPods, ns, name);
  return store.update(kPods, ns, name, [&](Json& p) {
    Json& meta = p["metadata"];
    if (meta.contains("deletionTimestamp")) return false;  // already terminating
    meta["deletionTimestamp"] = now_rfc3339();
    meta["deletionGracePeriodSeconds"] = grace;
    return true;
  });
}

void orphan_dependents(ObjectStore& store, const std::string& ns, const std::string& uid) {
  for (const auto& [res, dns, dname] : dependents_of(store, ns, uid)) {
    try {
      store.update(res, dns, dname, [&](Json& o) {
        Json& refs = o["metadata"]["ownerReferences"];
        Json kept = Json::array();
        for (const auto& ref : refs) {
          if (ref.value("uid", "") != uid) kept.push_back(ref);
        }
        if (kept.empty()) {
          o["metadata"].erase("ownerReferences");
        } else {
          refs = kept;
        }
        return true;
      });
    } catch (const ApiError&) {
      // Gone meanwhile: nothing left to orphan.
    }
  }
}

void delete_dependents(ObjectStore& store, const std::string& ns, const std::string& uid) {
  for (const auto& [res, dns, dname] : dependents_of(store, ns, uid)) {
    try {
      if (res == kPods) {
        delete_pod(store, dns, dname, std::nullopt);
      } else {
        store.remove(res, dns, dname);
      }
    } catch (const ApiError&) {
      // Gone meanwhile.
    }
  }
}

}  // namespace

Json delete_object(ObjectStore& store, const std::string& resource, const std::string& ns,
                   const std::string& name, Propagation policy,
                   std::optional<std::int64_t> grace_seconds) {
  if (resource == kPods) return delete_pod(store, ns, name, grace_seconds);
  const Json object = store.get_or_throw(resource, ns, name);
  const std::string uid = object["metadata"].value("uid", "");
  switch (policy) {
    case Propagation::kOrphan:
      orphan_dependents(store, ns, uid);
      return store.remove(resource, ns, name);
    case Propagation::kBackground:
      return store.remove(resource, ns, name);  // the collector finds the orphans' owner gone
    case Propagation::kForeground: {
      Json marked = store.update(resource, ns, name, [](Json& o) {
        Json& meta = o["metadata"];
        if (meta.contains("deletionTimestamp")) return false;
        meta["deletionTimestamp"] = now_rfc3339();
        meta["deletionGracePeriodSeconds"] = 0;
        Json& fin = meta["finalizers"];
        if (!fin.is_array()) fin = Json::array();
        fin.push_back("foregroundDeletion");
        return true;
      });
      delete_dependents(store, ns, uid);
      return marked;
    }
  }
  return object;
}

void GarbageCollector::sweep() {
  // Owners that exist, by uid.
  std::set<std::string> live;
  std::vector<Json> foreground;
  for (const auto& info : served_resources()) {
    for (const Json& o : store_.list(info.key())) {
      const Json& meta = o["metadata"];
      live.insert(meta.value("uid", ""));
      const Json fin = meta.value("finalizers", Json::array());
      if (meta.contains("deletionTimestamp") &&
          std::find(fin.begin(), fin.end(), "foregroundDeletion") != fin.end()) {
        foreground.push_back(o);
      }
    }
  }
  for (const char* res : kDependentResources) {
    for (const Json& o : store_.list(res)) {
      const Json& meta = o["metadata"];
      const Json refs = meta.value("ownerReferences", Json::array());
      if (refs.empty() || meta.contains("deletionTimestamp")) continue;
      bool owner_left = false;
      for (const auto& ref : refs) owner_left = owner_left || live.count(ref.value("uid", "")) > 0;
      if (owner_left) continue;
      try {
        delete_object(store_, res, meta.value("namespace", ""), meta.value("name", ""),
                      Propagation::kBackground);
      } catch (const ApiError&) {
      }
    }
  }
  for (const Json& owner : foreground) {
    const Json& meta = owner["metadata"];
    const std::string ns = meta.value("namespace", "");
    if (!dependents_of(store_, ns, meta.value("uid", "")).empty()) continue;
    try {
      store_.remove(resource_key_of(owner), ns, meta.value("name", ""));
    } catch (const ApiError&) {
    }
  }
}

void GarbageCollector::start() {
  stop_ = false;
  thread_ = std::thread([this] {
    std::uint64_t seen = 0;
    while (!stop_) {
      const std::uint64_t now = store_.wait_for_change(seen, std::chrono::milliseconds(500));
      if (stop_) break;
      if (now != seen) {
        seen = now;
        sweep();
      }
    }
  });
}

void GarbageCollector::stop() {
  stop_ = true;
  store_.notify_all();
  if (thread_.joinable()) thread_.join();
}

}  // namespace mgate::kubesim
