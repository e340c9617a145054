#pragma once
// Name and value syntax as apimachinery's pkg/util/validation checks it, with its messages word
// for word: selectors and Job validation both report them.

#include <string>
#include <vector>

namespace mgate::kubesim {

namespace names {
/// validation.IsQualifiedName: a label key or annotation key ("prefix/name").
std::vector<std::string> qualified_name_errors(const std::string& value);
/// validation.IsValidLabelValue.
std::vector<std::string> label_value_errors(const std::string& value);
/// validation.IsDNS1123Subdomain (object names, secret names).
std::vector<std::string> dns1123_subdomain_errors(const std::string& value);
/// validation.IsDNS1123Label (container names).
std::vector<std::string> dns1123_label_errors(const std::string& value);
/// validation.IsEnvVarName as v1.31 applies it (RelaxedEnvironmentVariableValidation is off).
std::vector<std::string> env_var_name_errors(const std::string& value);
/// Go's %q of a string: how field errors quote a bad value.
std::string go_quote(const std::string& value);
}  // namespace names

}  // namespace mgate::kubesim
