#include "tests/sandbox/kubesim/selector.hpp"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace mgate::kubesim {
namespace {

// The ApiError a call throws; fails the test when it throws nothing.
template <typename F>
ApiError error_of(F&& f) {
  try {
    f();
  } catch (const ApiError& e) {
    return e;
  }
  ADD_FAILURE() << "no ApiError thrown";
  return ApiError(0, "", "");
}

constexpr const char* kLabelKeyRule =
    "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end "
    "with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for "
    "validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
constexpr const char* kLabelValueRule =
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or "
    "'.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or "
    "'my_value',  or '12345', regex used for validation is "
    "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

TEST(LabelSelectorParse, CanonicalStringTable) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"a=b", "a=b"},
      {"a==b", "a==b"},
      {"a!=b", "a!=b"},
      {" a  in  ( y , x ) ", "a in (x,y)"},
      {"b notin (x),a", "a,b notin (x)"},
      {"!a", "!a"},
      {"x in (foo,,baz),y,z notin ()", "x in (,baz,foo),y,z notin ()"},
      {"batch.kubernetes.io/controller-uid=abc", "batch.kubernetes.io/controller-uid=abc"},
      {"a=", "a="},
      {"n>5,m<3", "m<3,n>5"},
      {"x in (in,notin)", "x in (in,notin)"},
      {"\tenv = prod ,\n!legacy", "env=prod,!legacy"},
  };
  for (const auto& [text, canonical] : cases) {
    EXPECT_EQ(LabelSelector::parse(text).to_string(), canonical) << text;
  }
}

TEST(LabelSelectorParse, EmptyTextSelectsEverything) {
  const auto s = LabelSelector::parse("");
  EXPECT_TRUE(s.empty());
  EXPECT_EQ(s.to_string(), "");
  EXPECT_TRUE(s.matches(Json{{"a", "b"}}));
  EXPECT_TRUE(s.matches(nullptr));
  EXPECT_FALSE(LabelSelector::parse("a").empty());
}

TEST(LabelSelectorParse, MatchTable) {
  const Json labels = {{"a", "b"}, {"n", "7"}};
  const std::vector<std::pair<std::string, bool>> cases = {
      {"a=b", true},       {"a==b", true},         {"a=c", false},        {"a!=b", false},
      {"a!=c", true},      {"c!=x", true},         {"a in (b,c)", true},  {"a in (c)", false},
      {"c in (b)", false}, {"a notin (b)", false}, {"c notin (b)", true}, {"a", true},
      {"c", false},        {"!a", false},          {"!c", true},          {"a,c", false},
      {"a=b,!c", true},    {"n>5", true},          {"n<5", false},        {"a>1", false},
      {"c<5", false},
  };
  for (const auto& [text, want] : cases) {
    EXPECT_EQ(LabelSelector::parse(text).matches(labels), want) << text;
  }
}

TEST(LabelSelectorParse, NullLabelsAreNoLabels) {
  EXPECT_TRUE(LabelSelector::parse("a!=b").matches(nullptr));
  EXPECT_TRUE(LabelSelector::parse("!a").matches(nullptr));
  EXPECT_TRUE(LabelSelector::parse("a notin (x)").matches(nullptr));
  EXPECT_FALSE(LabelSelector::parse("a").matches(nullptr));
  EXPECT_FALSE(LabelSelector::parse("a=").matches(nullptr));
  EXPECT_TRUE(LabelSelector::parse("a=").matches(Json{{"a", ""}}));
}

TEST(LabelSelectorParse, ErrorsCarryApimachineryMessages) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"a=b,", "found '', expected: identifier after ','"},
      {",a", "found ',', expected: !, identifier, or 'end of string'"},
      {"a b", "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt"},
      {"a in x", "unable to parse requirement: found 'x' expected: '('"},
      {"a in (x", "unable to parse requirement: found '', expected: ',' or ')'"},
      {"a in (x y)", "unable to parse requirement: found 'y', expected: ',' or ')'"},
      {"a=b=c", "found '=', expected: ',' or 'end of string'"},
      {"a=!b", "unable to parse requirement: found '!', expected: identifier"},
      {"!=a", "found '!=', expected: !, identifier, or 'end of string'"},
      {"n>x",
       "unable to parse requirement: values[0]: Invalid value: \"x\": for 'Gt', 'Lt' "
       "operators, the value must be an integer"},
      {"-a=b", std::string("unable to parse requirement: <nil>: Invalid value: \"-a\": ") + kLabelKeyRule},
      {"a=-b",
       std::string("unable to parse requirement: values[0][a]: Invalid value: \"-b\": ") + kLabelValueRule},
      {"a/b/c",
       "unable to parse requirement: <nil>: Invalid value: \"a/b/c\": a qualified name "
       "must consist of alphanumeric characters, '-', '_' or '.', and must start and "
       "end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or "
       "'123-abc', regex used for validation is "
       "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain "
       "prefix and '/' (e.g. 'example.com/MyName')"},
  };
  for (const auto& [text, message] : cases) {
    const ApiError e = error_of([&] { LabelSelector::parse(text); });
    EXPECT_EQ(e.code(), 400) << text;
    EXPECT_EQ(e.reason(), "BadRequest") << text;
    EXPECT_EQ(std::string(e.what()), message) << text;
  }
}

TEST(LabelSelectorParse, TooLongValueIsRefused) {
  const std::string value(64, 'v');
  const ApiError e = error_of([&] { LabelSelector::parse("a=" + value); });
  EXPECT_EQ(std::string(e.what()), "unable to parse requirement: values[0][a]: Invalid value: \"" + value +
                                       "\": must be no more than 63 characters");
}

TEST(LabelSelectorFromJson, NullMatchesNothingEmptyMatchesEverything) {
  const auto nothing = LabelSelector::from_json(nullptr);
  EXPECT_FALSE(nothing.matches(Json{{"a", "b"}}));
  EXPECT_FALSE(nothing.matches(nullptr));
  EXPECT_FALSE(nothing.empty());
  EXPECT_EQ(nothing.to_string(), "");

  const auto everything = LabelSelector::from_json(Json::object());
  EXPECT_TRUE(everything.empty());
  EXPECT_TRUE(everything.matches(Json{{"a", "b"}}));
  EXPECT_TRUE(everything.matches(nullptr));
  EXPECT_TRUE(LabelSelector::from_json(Json{{"matchLabels", Json::object()}}).empty());
}

TEST(LabelSelectorFromJson, MatchLabelsAndExpressions) {
  const Json selector = {{"matchLabels", {{"b", "2"}, {"a", "1"}}},
                         {"matchExpressions",
                          {{{"key", "c"}, {"operator", "In"}, {"values", {"y", "x"}}},
                           {{"key", "d"}, {"operator", "DoesNotExist"}},
                           {{"key", "e"}, {"operator", "NotIn"}, {"values", {"z"}}},
                           {{"key", "a"}, {"operator", "Exists"}}}}};
  const auto s = LabelSelector::from_json(selector);
  EXPECT_EQ(s.to_string(), "a=1,a,b=2,c in (x,y),!d,e notin (z)");
  EXPECT_TRUE(s.matches(Json{{"a", "1"}, {"b", "2"}, {"c", "x"}}));
  EXPECT_FALSE(s.matches(Json{{"a", "1"}, {"b", "2"}, {"c", "x"}, {"d", ""}}));
  EXPECT_FALSE(s.matches(Json{{"a", "1"}, {"b", "2"}, {"c", "w"}}));
  EXPECT_FALSE(s.matches(Json{{"a", "1"}, {"b", "2"}, {"c", "x"}, {"e", "z"}}));
}

TEST(LabelSelectorFromJson, JobSelectorString) {
  const auto s =
      LabelSelector::from_json(Json{{"matchLabels", {{"batch.kubernetes.io/controller-uid", "abc"}}}});
  EXPECT_EQ(s.to_string(), "batch.kubernetes.io/controller-uid=abc");
  EXPECT_EQ(s.requires_exact_match("batch.kubernetes.io/controller-uid"), "abc");
  EXPECT_EQ(s.requires_exact_match("job-name"), std::nullopt);
}

TEST(LabelSelectorFromJson, InvalidSelectorsAreRefused) {
  const ApiError op = error_of([] {
    LabelSelector::from_json(Json{{"matchExpressions", {{{"key", "a"}, {"operator", "Foo"}}}}});
  });
  EXPECT_EQ(op.code(), 400);
  EXPECT_EQ(std::string(op.what()), "\"Foo\" is not a valid label selector operator");

  const ApiError in = error_of([] {
    LabelSelector::from_json(Json{{"matchExpressions", {{{"key", "a"}, {"operator", "In"}}}}});
  });
  EXPECT_EQ(std::string(in.what()),
            "values: Invalid value: []string(nil): for 'in', 'notin' operators, values set "
            "can't be empty");

  const ApiError exists = error_of([] {
    LabelSelector::from_json(
        Json{{"matchExpressions", {{{"key", "a"}, {"operator", "Exists"}, {"values", {"x"}}}}}});
  });
  EXPECT_EQ(std::string(exists.what()),
            "values: Invalid value: []string{\"x\"}: values set must be empty for exists and "
            "does not exist");
}

TEST(LabelSelectorParse, ExactMatch) {
  const auto s = LabelSelector::parse("a in (x),b==y,c!=z,d in (p,q)");
  EXPECT_EQ(s.requires_exact_match("a"), "x");
  EXPECT_EQ(s.requires_exact_match("b"), "y");
  EXPECT_EQ(s.requires_exact_match("c"), std::nullopt);
  EXPECT_EQ(s.requires_exact_match("d"), std::nullopt);
}

// ---------------------------------------------------------------------------------------------

Json pod(const Json& spec, const Json& status) {
  return Json{{"metadata", {{"name", "p1"}, {"namespace", "udab"}}}, {"spec", spec}, {"status", status}};
}

TEST(FieldSelector, PodFields) {
  const Json unscheduled =
      pod({{"restartPolicy", "Never"}, {"schedulerName", "default-scheduler"}}, {{"phase", "Pending"}});
  const Json running = pod({{"nodeName", "node-1"},
                            {"restartPolicy", "OnFailure"},
                            {"serviceAccountName", "migrator"},
                            {"hostNetwork", true}},
                           {{"phase", "Running"},
                            {"podIP", "10.0.0.9"},
                            {"podIPs", {{{"ip", "10.0.0.7"}}}},
                            {"nominatedNodeName", "n2"}});
  const std::vector<std::tuple<std::string, bool, bool>> cases = {
      {"spec.nodeName=", true, false},
      {"spec.nodeName=node-1", false, true},
      {"spec.host=node-1", false, true},
      {"spec.nodeName!=", false, true},
      {"status.phase!=Running,spec.restartPolicy=Never", true, false},
      {"status.phase==Running", false, true},
      {"spec.schedulerName=default-scheduler", true, false},
      {"spec.serviceAccountName=migrator", false, true},
      {"spec.hostNetwork=false", true, false},
      {"spec.hostNetwork=true", false, true},
      {"status.podIP=10.0.0.7", false, true},
      {"status.podIP=", true, false},
      {"status.nominatedNodeName=n2", false, true},
      {"metadata.name=p1,metadata.namespace=udab", true, true},
      {"metadata.namespace=other", false, false},
      {"", true, true},
  };
  for (const auto& [text, want_unscheduled, want_running] : cases) {
    const auto s = FieldSelector::parse(text, "pods");
    EXPECT_EQ(s.matches(unscheduled), want_unscheduled) << text;
    EXPECT_EQ(s.matches(running), want_running) << text;
  }
}

TEST(FieldSelector, EventFields) {
  const Json event = {{"metadata", {{"name", "e1"}, {"namespace", "udab"}}},
                      {"involvedObject",
                       {{"kind", "Job"},
                        {"namespace", "udab"},
                        {"name", "db-migration-3f2a1c9"},
                        {"uid", "u-1"},
                        {"apiVersion", "batch/v1"},
                        {"resourceVersion", "42"}}},
                      {"reason", "SuccessfulCreate"},
                      {"type", "Normal"},
                      {"source", {{"component", "job-controller"}}}};
  const std::vector<std::pair<std::string, bool>> cases = {
      {"involvedObject.kind=Job,involvedObject.name=db-migration-3f2a1c9", true},
      {"involvedObject.namespace=udab,involvedObject.uid=u-1", true},
      {"involvedObject.apiVersion=batch/v1,involvedObject.resourceVersion=42", true},
      {"involvedObject.fieldPath=", true},
      {"reason=SuccessfulCreate,type=Normal", true},
      {"type=Warning", false},
      {"source=job-controller", true},
      {"reportingComponent=", true},
  };
  for (const auto& [text, want] : cases) {
    EXPECT_EQ(FieldSelector::parse(text, "events").matches(event), want) << text;
  }
  // events.k8s.io-style events carry reportingComponent only; `source` falls back to it.
  const Json new_style = {{"metadata", {{"name", "e2"}}}, {"reportingComponent", "kubelet"}};
  EXPECT_TRUE(FieldSelector::parse("source=kubelet", "events").matches(new_style));
  EXPECT_TRUE(FieldSelector::parse("reportingComponent=kubelet", "events").matches(new_style));
}

TEST(FieldSelector, JobSecretNamespaceFields) {
  const Json job = {{"metadata", {{"name", "j"}}}, {"status", {{"succeeded", 1}}}};
  EXPECT_TRUE(FieldSelector::parse("status.successful=1", "jobs.batch").matches(job));
  EXPECT_FALSE(FieldSelector::parse("status.successful=0", "jobs.batch").matches(job));
  EXPECT_TRUE(
      FieldSelector::parse("status.successful=0", "jobs.batch").matches(Json{{"metadata", {{"name", "j"}}}}));

  const Json secret = {{"metadata", {{"name", "db-url"}}}, {"type", "Opaque"}};
  EXPECT_TRUE(FieldSelector::parse("type=Opaque", "secrets").matches(secret));
  EXPECT_FALSE(FieldSelector::parse("type!=Opaque", "secrets").matches(secret));

  const Json ns = {{"metadata", {{"name", "udab"}}}, {"status", {{"phase", "Active"}}}};
  EXPECT_TRUE(FieldSelector::parse("status.phase=Active", "namespaces").matches(ns));
  EXPECT_TRUE(FieldSelector::parse("metadata.name=udab", "namespaces").matches(ns));
}

TEST(FieldSelector, UnsupportedFieldsAreBadRequests) {
  const std::vector<std::tuple<std::string, std::string, std::string>> cases = {
      {"status.hostIP=1.2.3.4", "pods", "field label not supported: status.hostIP"},
      {"spec.completions=1", "jobs.batch", "field label not supported: spec.completions"},
      {"message=x", "events", "field label not supported: message"},
      {"metadata.namespace=udab", "namespaces", "field label not supported: metadata.namespace"},
      {"data.key=x", "configmaps",
       "\"data.key\" is not a known field selector: only \"metadata.name\", "
       "\"metadata.namespace\""},
      {"spec.replicas=1", "deployments.apps",
       "\"spec.replicas\" is not a known field selector: only \"metadata.name\", "
       "\"metadata.namespace\""},
      {"spec.project=x", "applications.argoproj.io", "field label not supported: spec.project"},
      // Terms are converted in sorted order: the first unsupported one is reported.
      {"zeta=1,alpha=2", "pods", "field label not supported: alpha"},
  };
  for (const auto& [text, resource, message] : cases) {
    const ApiError e = error_of([&] { FieldSelector::parse(text, resource); });
    EXPECT_EQ(e.code(), 400) << text;
    EXPECT_EQ(e.reason(), "BadRequest") << text;
    EXPECT_EQ(std::string(e.what()), message) << text;
  }
}

TEST(FieldSelector, SyntaxAndEscapes) {
  const ApiError e = error_of([] { FieldSelector::parse("metadata.name", "pods"); });
  EXPECT_EQ(std::string(e.what()), "invalid selector: 'metadata.name'; can't understand 'metadata.name'");
  const ApiError unescaped = error_of([] { FieldSelector::parse("metadata.name=a=b", "pods"); });
  EXPECT_EQ(std::string(unescaped.what()), "invalid field selector: unescaped character in value: 61");
  const ApiError bad_escape = error_of([] { FieldSelector::parse("metadata.name=a\\x", "pods"); });
  EXPECT_EQ(std::string(bad_escape.what()), "invalid field selector: invalid escape sequence: \\x");

  const auto s = FieldSelector::parse("metadata.name=a\\,b", "pods");
  EXPECT_TRUE(s.matches(Json{{"metadata", {{"name", "a,b"}}}}));
  EXPECT_EQ(s.to_string(), "metadata.name=a\\,b");
  EXPECT_EQ(s.requires_exact_match("metadata.name"), "a,b");
  EXPECT_EQ(FieldSelector::parse("status.phase==Running,spec.nodeName!=n", "pods").to_string(),
            "spec.nodeName!=n,status.phase=Running");
  EXPECT_FALSE(FieldSelector::parse("metadata.name=x,,", "configmaps").empty());
  EXPECT_TRUE(FieldSelector::parse(",", "configmaps").empty());
}

TEST(Names, QualifiedNameMessages) {
  EXPECT_TRUE(names::qualified_name_errors("batch.kubernetes.io/job-name").empty());
  EXPECT_EQ(names::qualified_name_errors("/a"), std::vector<std::string>{"prefix part must be non-empty"});
  EXPECT_EQ(names::qualified_name_errors("a/"),
            (std::vector<std::string>{"name part must be non-empty", std::string("") + kLabelKeyRule}));
  EXPECT_EQ(names::go_quote("a\"b\\c\n"), "\"a\\\"b\\\\c\\n\"");
}

}  // namespace
}  // namespace mgate::kubesim
