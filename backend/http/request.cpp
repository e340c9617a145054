#include "backend/http/request.hpp"

#include <algorithm>

#include "backend/http/headers.hpp"
#include "backend/http/retry_policy.hpp"
#include "backend/http/url.hpp"

namespace mgate::backend::http {

Request& Request::add_header(std::string name, std::string value) {
  headers.emplace_back(std::move(name), std::move(value));
  return *this;
}

Request& Request::add_secret_header(std::string name, Secret value) {
  secret_headers.emplace_back(std::move(name), std::move(value));
  return *this;
}

Request& Request::set_bearer(const Secret& token) {
  const auto is_authorization = [](const auto& header) { return iequals(header.first, "Authorization"); };
  std::erase_if(headers, is_authorization);
  std::erase_if(secret_headers, is_authorization);
  return add_secret_header("Authorization", Secret("Bearer " + token.reveal()));
}

bool Request::is_idempotent() const {
  return idempotent.value_or(is_idempotent_method(method));
}

bool Request::has_header(std::string_view name) const {
  const auto named = [&](const auto& header) { return iequals(header.first, name); };
  return std::any_of(headers.begin(), headers.end(), named) ||
         std::any_of(secret_headers.begin(), secret_headers.end(), named);
}

std::string Request::describe() const {
  return method + " " + redact_url(url);
}

}  // namespace mgate::backend::http
