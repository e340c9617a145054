#pragma once
// The simulator's errors: every refusal the API server makes is a metav1 Status with the real
// reason and code. Inside the simulator they travel as exceptions (it is a test server, and a
// handler unwinds from any depth to one catch that writes the Status).

#include <stdexcept>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

namespace mgate::kubesim {

using Json = nlohmann::json;

/// One failure of an API call, as the real server reports it.
class ApiError : public std::runtime_error {
 public:
  /// code: the HTTP status; reason: metav1.StatusReason ("NotFound"); details: Status.details.
  ApiError(int code, std::string reason, const std::string& message, Json details = nullptr)
      : std::runtime_error(message), code_(code), reason_(std::move(reason)),
        details_(std::move(details)) {}

  /// The HTTP status code.
  int code() const { return code_; }
  /// metav1.StatusReason.
  const std::string& reason() const { return reason_; }
  /// Status.details, or null.
  const Json& details() const { return details_; }
  /// The metav1 Status object the server writes.
  Json status() const;

 private:
  int code_;
  std::string reason_;
  Json details_;
};

/// A resource's name as errors spell it: "jobs.batch", or "pods" for the core group.
std::string qualified_resource(const std::string& plural, const std::string& group);

/// 404 NotFound: `jobs.batch "NAME" not found`.
ApiError not_found(const std::string& plural, const std::string& group, const std::string& name);
/// 409 AlreadyExists: `jobs.batch "NAME" already exists`.
ApiError already_exists(const std::string& plural, const std::string& group,
                        const std::string& name);
/// 409 Conflict (a resourceVersion precondition lost).
ApiError conflict(const std::string& plural, const std::string& group, const std::string& name,
                  const std::string& why);
/// One field error of a 422 Invalid: field path, reason ("FieldValueRequired"), and the
/// message as field.ErrorList renders it ("Required value", "Invalid value: ...: must be ...").
struct FieldCause {
  std::string field;
  std::string reason;
  std::string message;
};
/// 422 Invalid: `Job.batch "NAME" is invalid: [field: message, ...]` with details.causes.
ApiError invalid(const std::string& kind, const std::string& group, const std::string& name,
                 const std::vector<FieldCause>& causes);
/// 400 BadRequest with a message.
ApiError bad_request(const std::string& message);
/// 401 Unauthorized.
ApiError unauthorized();
/// 403 Forbidden: `User "U" cannot VERB resource "R" in API group "G" in the namespace "NS"`.
ApiError forbidden(const std::string& user, const std::string& verb, const std::string& plural,
                   const std::string& group, const std::string& ns, const std::string& name = {});
/// 405 MethodNotAllowed.
ApiError method_not_allowed(const std::string& method);
/// 410 Expired: a continue token older than the compaction.
ApiError expired_continue();
/// 410 Expired: a watch's resourceVersion older than the retained history.
ApiError too_old_resource_version(std::uint64_t asked, std::uint64_t oldest);
/// 404 for a path the server does not serve at all.
ApiError path_not_found();

}  // namespace mgate::kubesim
