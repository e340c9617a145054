#pragma once
// The job views as JSON, for `mgate jobs --json` (docs/cli-json.md) and the status snapshot.

#include <vector>

#include <nlohmann/json.hpp>

#include "backend/kube/migration_jobs.hpp"
#include "backend/kube/views.hpp"

namespace mgate::backend::kube {

/// A Pod: name, phase, restarts, exit code, and each container's state.
nlohmann::json to_json(const PodView& pod);

/// A migration Job with its Pods; `from_record` says the cluster no longer has it.
nlohmann::json to_json(const JobEntry& job, const std::vector<PodView>& pods);

/// "7s", "3m12s", "2h5m", "3d4h": a duration as kubectl's AGE and DURATION columns write it.
std::string short_duration(std::chrono::seconds d);

}  // namespace mgate::backend::kube
