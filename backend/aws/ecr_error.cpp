#include "backend/aws/ecr_error.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

namespace mgate::backend::aws {
namespace {

struct KindRow {
  std::string_view type;
  EcrErrorKind kind;
  ErrorCode code;
};

constexpr KindRow kKinds[] = {
    {"ImageAlreadyExistsException", EcrErrorKind::kImageAlreadyExists, ErrorCode::kAlreadyExists},
    {"ImageTagAlreadyExistsException", EcrErrorKind::kImageTagAlreadyExists, ErrorCode::kAlreadyExists},
    {"ImageNotFoundException", EcrErrorKind::kImageNotFound, ErrorCode::kNotFound},
    // BatchGetImage reports a missing image as failureCode "ImageNotFound", not as an exception.
    {"ImageNotFound", EcrErrorKind::kImageNotFound, ErrorCode::kNotFound},
    {"RepositoryNotFoundException", EcrErrorKind::kRepositoryNotFound, ErrorCode::kNotFound},
    {"RepositoryAlreadyExistsException", EcrErrorKind::kRepositoryAlreadyExists, ErrorCode::kAlreadyExists},
    {"ThrottlingException", EcrErrorKind::kThrottling, ErrorCode::kUnavailable},
    {"AccessDeniedException", EcrErrorKind::kAccessDenied, ErrorCode::kPermissionDenied},
};

const KindRow* find_kind(std::string_view type) {
  for (const auto& row : kKinds) {
    if (row.type == type) return &row;
  }
  return nullptr;
}

ErrorCode code_for_status(long status) {
  if (status == 401 || status == 403) return ErrorCode::kPermissionDenied;
  if (status == 404) return ErrorCode::kNotFound;
  if (status >= 500) return ErrorCode::kUnavailable;
  return ErrorCode::kProtocol;
}

}  // namespace

EcrErrorKind ecr_error_kind(const Error& error) {
  const KindRow* row = find_kind(error.detail);
  return row == nullptr ? EcrErrorKind::kOther : row->kind;
}

std::string bare_error_type(std::string_view type) {
  if (auto hash = type.rfind('#'); hash != std::string_view::npos) type.remove_prefix(hash + 1);
  if (auto colon = type.find(':'); colon != std::string_view::npos) type = type.substr(0, colon);
  return std::string(type);
}

Error ecr_error(std::string_view operation, std::string_view subject, const http::Response& response) {
  const std::string call = fmt::format("ECR {} {}", operation, subject);
  std::string type;
  std::string text;
  try {
    const auto body = nlohmann::json::parse(response.body);
    type = bare_error_type(body.value("__type", std::string{}));
    // The JSON protocol spells the text "message" or "Message", depending on the exception.
    text = body.value("message", body.value("Message", std::string{}));
  } catch (const nlohmann::json::exception&) {
    // Not JSON (a proxy's HTML page): the status and raw body are all there is.
  }
  if (type.empty()) {
    return make_error(code_for_status(response.status), fmt::format("{}: HTTP {}", call, response.status),
                      response.body, response.status >= 500);
  }
  const KindRow* row = find_kind(type);
  const ErrorCode code = row != nullptr ? row->code : code_for_status(response.status);
  if (row != nullptr && row->kind == EcrErrorKind::kAccessDenied) {
    return make_error(code, fmt::format("{}: {}: missing permission ecr:{}: {}", call, type, operation, text),
                      type);
  }
  const bool retryable = row != nullptr && row->kind == EcrErrorKind::kThrottling;
  return make_error(code, fmt::format("{}: {}: {}", call, type, text), type, retryable);
}

}  // namespace mgate::backend::aws
