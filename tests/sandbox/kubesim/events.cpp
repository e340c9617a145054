#include "tests/sandbox/kubesim/events.hpp"

#include <fmt/format.h>

#include <random>

namespace mgate::kubesim {

namespace {
std::string event_suffix() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  // The real recorder names events <object>.<UnixNano in hex>; any unique hex serves.
  return fmt::format("{:x}", rng() >> 4);
}
}  // namespace

Json record_event(ObjectStore& store, const Json& involved, const EventSpec& spec) {
  const Json& meta = involved.at("metadata");
  const std::string ns = meta.value("namespace", "default");
  const std::string uid = meta.value("uid", "");
  for (const Json& e : store.list(kEvents, ns)) {
    if (e["involvedObject"].value("uid", "") == uid && e.value("reason", "") == spec.reason &&
        e.value("message", "") == spec.message &&
        e["involvedObject"].value("fieldPath", "") == spec.field_path) {
      return store.update(kEvents, ns, e["metadata"]["name"], [](Json& ev) {
        ev["count"] = ev.value("count", 1) + 1;
        ev["lastTimestamp"] = now_rfc3339();
        return true;
      });
    }
  }
  Json involved_ref = {{"kind", involved.value("kind", "")},
                       {"namespace", ns},
                       {"name", meta.value("name", "")},
                       {"uid", uid},
                       {"apiVersion", involved.value("apiVersion", "")},
                       {"resourceVersion", meta.value("resourceVersion", "")}};
  if (!spec.field_path.empty()) involved_ref["fieldPath"] = spec.field_path;
  Json source = {{"component", spec.component}};
  if (!spec.host.empty()) source["host"] = spec.host;
  const std::string now = now_rfc3339();
  Json event = {
      {"kind", "Event"},
      {"apiVersion", "v1"},
      {"metadata", {{"name", meta.value("name", "") + "." + event_suffix()}, {"namespace", ns}}},
      {"involvedObject", involved_ref},
      {"reason", spec.reason},
      {"message", spec.message},
      {"source", source},
      {"firstTimestamp", now},
      {"lastTimestamp", now},
      {"count", 1},
      {"type", spec.type},
      {"eventTime", nullptr},
      {"reportingComponent", spec.component},
      {"reportingInstance", spec.host},
  };
  return store.create(kEvents, std::move(event));
}

}  // namespace mgate::kubesim
