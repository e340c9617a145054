#pragma once
// ECR error answers: the JSON 1.1 `__type` mapped to an ErrorCode and a kind callers can test.

#include <string>
#include <string_view>

#include "backend/core/error.hpp"
#include "backend/http/response.hpp"

namespace mgate::backend::aws {

/// The ECR failures callers tell apart; everything else is kOther.
enum class EcrErrorKind {
  kOther,                    ///< any other __type, a transport failure or an unreadable answer
  kImageAlreadyExists,       ///< ImageAlreadyExistsException: the tag is already on this digest
  kImageTagAlreadyExists,    ///< ImageTagAlreadyExistsException: an immutable tag is taken
  kImageNotFound,            ///< ImageNotFoundException, or failureCode ImageNotFound
  kRepositoryNotFound,       ///< RepositoryNotFoundException
  kRepositoryAlreadyExists,  ///< RepositoryAlreadyExistsException
  kThrottling,               ///< ThrottlingException (retried before it reaches a caller)
  kAccessDenied,             ///< AccessDeniedException
};

/// The kind of an Error built by this module: its detail holds the bare __type
/// (or BatchGetImage failureCode), which this reads back.
EcrErrorKind ecr_error_kind(const Error& error);

/// "ImageNotFoundException" from "com.amazonaws.ecr#ImageNotFoundException" (and from
/// a type with a ":" suffix, which some endpoints append).
std::string bare_error_type(std::string_view type);

/// The Error for a non-2xx ECR answer to `operation` on `subject` (a repository name):
/// "ECR DescribeImages udab-server: RepositoryNotFoundException: <message>".
/// The detail is the bare __type, or the raw body when the answer has none.
Error ecr_error(std::string_view operation, std::string_view subject, const http::Response& response);

}  // namespace mgate::backend::aws
