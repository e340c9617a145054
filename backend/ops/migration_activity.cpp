#include "backend/ops/migration_activity.hpp"

#include <fmt/format.h>

#include "backend/ops/guard.hpp"

namespace mgate::backend::ops {

Status check_no_active_job(MigrationActivity* activity, const std::string& env, std::vector<std::string>& notes) {
  if (activity == nullptr) {
    notes.emplace_back("active-Job guard not checked: this environment has no Kubernetes client here");
    return ok_status();
  }
  auto job = activity->active_job();
  if (!job) {
    return refusal("cannot tell whether a migration Job is active", job.error().describe());
  }
  if (job->has_value()) {
    return refusal(fmt::format("a migration Job is active in {}: {}; wait for it to finish", env, **job));
  }
  return ok_status();
}

}  // namespace mgate::backend::ops
