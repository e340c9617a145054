#pragma once
// A Kubernetes manifest read from a file (a Job template): YAML or JSON, as kubectl reads it.

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "backend/core/error.hpp"

namespace mgate::backend::kube {

/// The one object a manifest holds, as JSON. Plain YAML scalars are typed as YAML 1.2's core
/// schema types them (null, true/false, integers, floats; anything else a string); quoted ones
/// stay strings. Errors (kInvalidArgument) name source:line:column; a document that is not a
/// mapping with apiVersion and kind, or a file of several documents, is refused.
Result<nlohmann::json> parse_manifest(std::string_view text, const std::string& source);

}  // namespace mgate::backend::kube
