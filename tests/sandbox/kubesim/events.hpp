#pragma once
// core/v1 Events as the controllers' event recorder writes them.

#include <string>

#include "tests/sandbox/kubesim/object_store.hpp"

namespace mgate::kubesim {

/// What an Event is about and who says it.
struct EventSpec {
  std::string type = "Normal";  ///< "Normal" or "Warning"
  std::string reason;           ///< "SuccessfulCreate", "BackoffLimitExceeded", "Started"
  std::string message;
  std::string component;        ///< source.component: "job-controller", "kubelet"
  std::string host;             ///< source.host, for the kubelet ("kubesim-node")
  std::string field_path;       ///< involvedObject.fieldPath ("spec.containers{migrate}")
};

/// Records an Event about `involved` (any stored object: its apiVersion, kind, metadata name,
/// namespace, uid and resourceVersion are copied into involvedObject). The same reason and
/// message about the same object again bumps count and lastTimestamp, as the real recorder
/// aggregates them. Returns the stored Event.
Json record_event(ObjectStore& store, const Json& involved, const EventSpec& spec);

}  // namespace mgate::kubesim
