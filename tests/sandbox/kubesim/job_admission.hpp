#pragma once
// What the v1.31 API server does to a batch/v1 Job on create before it is stored: the
// defaulting of the Job and its pod template (SetDefaults_Job, SetDefaults_PodSpec,
// SetDefaults_Container, ...), the strategy's generated selector and labels, and
// ValidateJob's field errors worded as field.ErrorList renders them.

#include "tests/sandbox/kubesim/api_error.hpp"

namespace mgate::kubesim {

/// Label keys the Job strategy puts on the pod template and selects on.
inline constexpr const char* kControllerUidLabel = "batch.kubernetes.io/controller-uid";
inline constexpr const char* kJobNameLabel = "batch.kubernetes.io/job-name";
inline constexpr const char* kLegacyControllerUidLabel = "controller-uid";
inline constexpr const char* kLegacyJobNameLabel = "job-name";

/// Applies the server's create-time changes to a Job in place. Precondition: metadata.uid
/// (and metadata.name) are set. Applies every default the served object shows (backoffLimit
/// 6, completions/parallelism 1, completionMode NonIndexed, suspend false,
/// podReplacementPolicy, template dnsPolicy/restartPolicy/schedulerName/securityContext/
/// terminationGracePeriodSeconds, container pull policy, termination message fields,
/// resources {}, port protocol, template metadata.creationTimestamp null), generates the
/// selector and the four template labels unless spec.manualSelector is true, copies the
/// template labels to metadata.labels when the Job had none and the template had some (the
/// v1 defaulter shares the map), and sets status to {}. Leaves metadata.generation to the store.
void prepare_job_for_create(Json& job);

/// What the API server's defaulting and admission (ServiceAccount, Priority,
/// DefaultTolerationSeconds) add to the spec of a pod a controller creates from a template.
void apply_pod_create_defaults(Json& spec);

/// ValidateJob for create: throws the 422 `invalid("Job", "batch", name, causes)` listing every
/// field error in the server's order, or returns when the Job is valid. Run it on the Job
/// prepare_job_for_create returned (the server validates the defaulted object). A Job with
/// only generateName passes the name checks (the real server names it before validating),
/// and metadata.namespace is checked only when set (the request path supplies it).
void validate_job(const Json& job);

/// The causes validate_job would report, without throwing (empty when valid).
std::vector<FieldCause> job_validation_errors(const Json& job);

}  // namespace mgate::kubesim
