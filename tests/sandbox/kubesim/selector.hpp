#pragma once
// Label and field selectors as the API server parses and applies them (apimachinery
// pkg/labels and pkg/fields), plus the name/label syntax checks of pkg/util/validation that
// both the selectors and object validation report with the same words.

#include <optional>
#include <string>
#include <vector>

#include "tests/sandbox/kubesim/api_error.hpp"
#include "tests/sandbox/kubesim/names.hpp"

namespace mgate::kubesim {

/// apimachinery's name and label syntax rules; each returns the messages the real validator
/// gives (empty when the value is valid), for callers that wrap them into field errors.


/// A label selector: the `labelSelector=` query syntax or a metav1.LabelSelector.
class LabelSelector {
 public:
  /// selection.Operator.
  enum class Op {
    kEquals,
    kDoubleEquals,
    kNotEquals,
    kIn,
    kNotIn,
    kExists,
    kDoesNotExist,
    kGreaterThan,
    kLessThan
  };
  /// One requirement; the selector is their AND.
  struct Requirement {
    std::string key;
    Op op = Op::kExists;
    std::vector<std::string> values;
  };

  /// The selector that matches everything (an empty query).
  LabelSelector() = default;

  /// labels.Parse: `a=b`, `a==b`, `a!=b`, `a in (x,y)`, `a notin (x)`, `a`, `!a`, `a>1`,
  /// comma-separated, whitespace between tokens tolerated. Throws bad_request with
  /// apimachinery's message ("unable to parse requirement: ...", "found ',', expected: ...").
  static LabelSelector parse(const std::string& text);

  /// metav1.LabelSelectorAsSelector: a null selector matches nothing, an empty one ({} or no
  /// matchLabels/matchExpressions) matches everything — the apimachinery rule, which Job,
  /// Deployment and ReplicaSet controllers rely on. Throws bad_request on a bad operator, key
  /// or value, with the Go error text.
  static LabelSelector from_json(const Json& selector);

  /// Whether the labels (a JSON object of strings, or null for none) satisfy every requirement.
  bool matches(const Json& labels) const;
  /// True when the selector does not restrict anything (labels.Selector.Empty()).
  bool empty() const { return !nothing_ && requirements_.empty(); }
  /// labels.Selector.String(): requirements sorted by key, `key in (a,b)`, `!key`, `k=v`.
  std::string to_string() const;
  /// The requirements, sorted by key.
  const std::vector<Requirement>& requirements() const { return requirements_; }
  /// The value `key` must equal when the selector pins it (`k=v`, `k==v`, `k in (v)`).
  std::optional<std::string> requires_exact_match(const std::string& key) const;

 private:
  std::vector<Requirement> requirements_;
  bool nothing_ = false;
};

/// A field selector (`fieldSelector=` query) bound to one resource's selectable fields.
class FieldSelector {
 public:
  /// The selector that matches everything.
  FieldSelector() = default;

  /// fields.ParseSelector plus the scheme's field-label conversion for the resource (a store
  /// key: "pods", "jobs.batch"). Throws bad_request: `field label not supported: X` for kinds
  /// with a registered conversion, `"X" is not a known field selector: only "metadata.name",
  /// "metadata.namespace"` for the others, `invalid selector: '...'; can't understand '...'`.
  static FieldSelector parse(const std::string& text, const std::string& resource_key);

  /// Whether the object's selectable fields satisfy every term (missing values compare as "").
  bool matches(const Json& object) const;
  /// True when no term restricts anything.
  bool empty() const { return terms_.empty(); }
  /// fields.Selector.String(): terms sorted, `f=v` / `f!=v`, values re-escaped.
  std::string to_string() const;
  /// The value `field` must equal when a term pins it (`metadata.name=x`).
  std::optional<std::string> requires_exact_match(const std::string& field) const;

 private:
  struct Term {
    std::string field;
    std::string value;
    bool equal = true;
  };
  std::vector<Term> terms_;
  std::string resource_key_;
};

/// The value of a selectable field of an object of the resource, as the server's
/// ToSelectableFields computes it ("" when absent). Exposed for tests and the printers.
std::string selectable_field(const std::string& resource_key, const Json& object, const std::string& field);

}  // namespace mgate::kubesim
