#include "tests/sandbox/kubesim/api_error.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace mgate::kubesim {

Json ApiError::status() const {
  Json s = {{"kind", "Status"},       {"apiVersion", "v1"}, {"metadata", Json::object()},
            {"status", "Failure"},    {"message", what()},  {"reason", reason_},
            {"code", code_}};
  if (!details_.is_null()) s["details"] = details_;
  return s;
}

std::string qualified_resource(const std::string& plural, const std::string& group) {
  return group.empty() ? plural : plural + "." + group;
}

namespace {
Json name_details(const std::string& plural, const std::string& group, const std::string& name) {
  Json d = Json::object();
  if (!name.empty()) d["name"] = name;
  if (!group.empty()) d["group"] = group;
  d["kind"] = plural;
  return d;
}
}  // namespace

ApiError not_found(const std::string& plural, const std::string& group, const std::string& name) {
  return ApiError(404, "NotFound",
                  fmt::format("{} \"{}\" not found", qualified_resource(plural, group), name),
                  name_details(plural, group, name));
}

ApiError already_exists(const std::string& plural, const std::string& group,
                        const std::string& name) {
  return ApiError(409, "AlreadyExists",
                  fmt::format("{} \"{}\" already exists", qualified_resource(plural, group), name),
                  name_details(plural, group, name));
}

ApiError conflict(const std::string& plural, const std::string& group, const std::string& name,
                  const std::string& why) {
  return ApiError(409, "Conflict",
                  fmt::format("Operation cannot be fulfilled on {} \"{}\": {}",
                              qualified_resource(plural, group), name, why),
                  name_details(plural, group, name));
}

ApiError invalid(const std::string& kind, const std::string& group, const std::string& name,
                 const std::vector<FieldCause>& causes) {
  Json list = Json::array();
  std::vector<std::string> texts;  // the aggregate's text lists each distinct error once
  for (const auto& c : causes) {
    list.push_back({{"reason", c.reason}, {"message", c.message}, {"field", c.field}});
    const std::string text = c.field + ": " + c.message;
    if (std::find(texts.begin(), texts.end(), text) == texts.end()) texts.push_back(text);
  }
  std::string joined;
  for (const auto& t : texts) joined += (joined.empty() ? "" : ", ") + t;
  if (texts.size() > 1) joined = "[" + joined + "]";
  const std::string qualified = group.empty() ? kind : kind + "." + group;
  Json details = {{"name", name}, {"kind", kind}, {"causes", list}};
  if (!group.empty()) details["group"] = group;
  return ApiError(422, "Invalid", fmt::format("{} \"{}\" is invalid: {}", qualified, name, joined),
                  details);
}

ApiError bad_request(const std::string& message) { return ApiError(400, "BadRequest", message); }

ApiError unauthorized() { return ApiError(401, "Unauthorized", "Unauthorized"); }

ApiError forbidden(const std::string& user, const std::string& verb, const std::string& plural,
                   const std::string& group, const std::string& ns, const std::string& name) {
  // "pods/log": the subject is the pods, the resource named in the sentence is pods/log.
  const std::string base = plural.substr(0, plural.find('/'));
  std::string subject = qualified_resource(base, group);
  if (!name.empty()) subject += fmt::format(" \"{}\"", name);
  std::string where = ns.empty() ? " at the cluster scope" : fmt::format(" in the namespace \"{}\"", ns);
  return ApiError(403, "Forbidden",
                  fmt::format("{} is forbidden: User \"{}\" cannot {} resource \"{}\" in API group "
                              "\"{}\"{}",
                              subject, user, verb, plural, group, where),
                  name_details(base, group, name));
}

ApiError method_not_allowed(const std::string&) {
  return ApiError(405, "MethodNotAllowed",
                  "the server does not allow this method on the requested resource",
                  Json::object());
}

ApiError expired_continue() {
  return ApiError(410, "Expired",
                  "The provided continue parameter is too old to display a consistent list "
                  "result. You can start a new list without the continue parameter, or use the "
                  "continue token in this response to retrieve the remainder of the results. "
                  "Continuing with the provided token results in an inconsistent list - objects "
                  "that were created, modified, or deleted between the time the first chunk was "
                  "returned and now may show up in the list.");
}

ApiError too_old_resource_version(std::uint64_t asked, std::uint64_t oldest) {
  return ApiError(410, "Expired",
                  fmt::format("too old resource version: {} ({})", asked, oldest));
}

ApiError path_not_found() {
  return ApiError(404, "NotFound", "the server could not find the requested resource",
                  Json::object());
}

}  // namespace mgate::kubesim
