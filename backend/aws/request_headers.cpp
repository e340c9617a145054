#include "backend/aws/request_headers.hpp"

#include "backend/core/secret.hpp"

namespace mgate::backend::aws {

void add_signed_headers(http::Request& request, const std::vector<Header>& headers) {
  for (const auto& [name, value] : headers) {
    if (name == "Authorization" || name == "X-Amz-Security-Token") {
      request.add_secret_header(name, Secret(value));
    } else {
      request.add_header(name, value);
    }
  }
}

}  // namespace mgate::backend::aws
