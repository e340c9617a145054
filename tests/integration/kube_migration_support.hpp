#pragma once
// What kube_migration_test and kube_restart_test share: the simulated API server reached over
// HTTPS with the admin token (as a CI client or controller would, no kubectl in between), Job
// polling that records what the pods went through, and the aws CLI against moto.

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "tests/integration/shared_sandbox.hpp"

namespace mgate::sandbox::testing {

/// The ECR repository the sandbox's image map serves as tests/sandbox/image.
inline constexpr const char* kKubeEcrRegistry = "123456789012.dkr.ecr.us-east-1.amazonaws.com";

/// One API answer: the HTTP status (0 when no answer came), the body, and the body parsed when
/// it is JSON (else null).
struct ApiReply {
  int status = 0;
  std::string body;
  nlohmann::json json;
};

/// A client of the sandbox's API server: TLS verified against kube_dir/pki/ca.crt, the admin
/// bearer token read from kube_dir/kubeconfig.
class KubeApi {
 public:
  /// Reads the token and the port; `token()` is empty when the kubeconfig has none.
  explicit KubeApi(const Sandbox& sandbox);
  /// GET path (with its query).
  ApiReply get(const std::string& path) const;
  /// POST path with a JSON body.
  ApiReply post(const std::string& path, const nlohmann::json& body) const;
  /// The admin token.
  const std::string& token() const { return token_; }

 private:
  std::string ca_;
  std::string token_;
  int port_ = 0;
};

/// What a Job's pods went through while it was watched.
struct JobHistory {
  nlohmann::json job;                        ///< the last Job read
  bool finished = false;                     ///< Complete or Failed became True in time
  std::set<std::string> pods;                ///< every pod name seen
  std::map<std::string, int> max_restarts;   ///< pod name → highest restartCount seen
  std::vector<std::string> waiting_reasons;  ///< distinct waiting reasons, in order seen
};

/// Called with each pod read while watching (the pods of the Job, by label job-name).
using PodObserver = std::function<void(const nlohmann::json& pod)>;

/// Polls the Job in namespace udab every 100 ms until its Complete or Failed condition is True
/// or `timeout` passes, recording its pods' restarts and waiting reasons.
JobHistory watch_job(const KubeApi& api, const std::string& name, std::chrono::seconds timeout,
                     const PodObserver& observe = {});

/// The Job's pods (label job-name=name in udab), oldest first.
std::vector<nlohmann::json> job_pods(const KubeApi& api, const std::string& name);

/// The condition types of a Job's status, in order.
std::vector<std::string> condition_types(const nlohmann::json& job);

/// The Job's condition of `type` (null when absent).
nlohmann::json job_condition(const nlohmann::json& job, const std::string& type);

/// The sum of `count` over the Events in udab about object `name` with `reason` (the recorder
/// folds repeats of one reason and message into one Event).
int event_count(const KubeApi& api, const std::string& name, const std::string& reason);

/// A random 40-hex git sha.
std::string random_sha();

/// "sha256:<hex>" of bytes.
std::string sha256_digest(const std::string& bytes);

/// The aws CLI's `ecr` commands against the sandbox's moto (JSON output), with the sandbox env.
CommandResult aws_ecr(const Sandbox& sandbox, const std::vector<std::string>& args);

/// The image config blob of commit `sha`'s test image (what docker_manifest_for names).
std::string docker_config_for(const std::string& sha);

/// A small Docker v2 image manifest for commit `sha`, as Docker writes one (indented by 3, no
/// final newline: /migrate.sh carries it through $(...), which would drop one).
std::string docker_manifest_for(const std::string& sha);

/// What CI's build pushes: docker_manifest_for(sha) under `tag` in the ECR repository of moto,
/// with its true digest (moto invents one unless told); the file goes in `dir`. Returns the
/// digest, or "" after a failed put (reported as a test failure).
std::string push_ecr_image(const Sandbox& sandbox, const std::filesystem::path& dir,
                           const std::string& repository, const std::string& tag, const std::string& sha);

}  // namespace mgate::sandbox::testing
