#include "backend/core/error.hpp"

namespace mgate::backend {

const char* to_string(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument: return "invalid_argument";
    case ErrorCode::kNotFound: return "not_found";
    case ErrorCode::kAlreadyExists: return "already_exists";
    case ErrorCode::kPermissionDenied: return "permission_denied";
    case ErrorCode::kUnauthenticated: return "unauthenticated";
    case ErrorCode::kRefused: return "refused";
    case ErrorCode::kConflict: return "conflict";
    case ErrorCode::kUnavailable: return "unavailable";
    case ErrorCode::kTimeout: return "timeout";
    case ErrorCode::kCancelled: return "cancelled";
    case ErrorCode::kIo: return "io";
    case ErrorCode::kProtocol: return "protocol";
    case ErrorCode::kInternal: return "internal";
  }
  return "internal";
}

std::string Error::describe() const {
  if (detail.empty()) return message;
  return message + " (" + detail + ")";
}

}  // namespace mgate::backend
