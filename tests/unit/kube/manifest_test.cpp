// Job templates read as kubectl reads a manifest: YAML 1.2 core typing, one object, errors with
// file:line:column.

#include "backend/kube/manifest.hpp"

#include <gtest/gtest.h>

#include "backend/kube/job_json.hpp"

namespace mgate::backend::kube {
namespace {

using Json = nlohmann::json;

TEST(Manifest, YamlScalarsAreTypedAsTheCoreSchemaTypesThem) {
  auto m = parse_manifest(
      "apiVersion: batch/v1\n"
      "kind: Job\n"
      "metadata: {name: m, labels: {version: \"3\", quoted-true: 'true'}}\n"
      "spec:\n"
      "  backoffLimit: 3\n"
      "  suspend: false\n"
      "  activeDeadlineSeconds: ~\n"
      "  ratio: 0.5\n"
      "  sha: 5880242\n"
      "  hexsha: 5880242bf3\n"
      "  args: [--to, head, '1']\n",
      "job.yaml");
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_EQ((*m)["spec"]["backoffLimit"], Json(3));
  EXPECT_EQ((*m)["spec"]["suspend"], Json(false));
  EXPECT_TRUE((*m)["spec"]["activeDeadlineSeconds"].is_null());
  EXPECT_EQ((*m)["spec"]["ratio"], Json(0.5));
  EXPECT_EQ((*m)["spec"]["sha"], Json(5880242)) << "a plain all-digit scalar is an int, as in kubectl";
  EXPECT_EQ((*m)["spec"]["hexsha"], Json("5880242bf3"));
  EXPECT_EQ((*m)["metadata"]["labels"]["version"], Json("3"));
  EXPECT_EQ((*m)["metadata"]["labels"]["quoted-true"], Json("true"));
  EXPECT_EQ((*m)["spec"]["args"], Json({"--to", "head", "1"}));
}

TEST(Manifest, JsonIsYamlToo) {
  auto m = parse_manifest(R"({"apiVersion": "batch/v1", "kind": "Job", "spec": {"backoffLimit": 2}})", "job.json");
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_EQ((*m)["spec"]["backoffLimit"], Json(2));
}

TEST(Manifest, ErrorsNameFileLineAndColumn) {
  auto bad = parse_manifest("apiVersion: batch/v1\nkind: Job\nspec:\n  a: [1, 2\n", "deploy/job.yaml");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(bad.error().message.rfind("deploy/job.yaml:", 0), 0u) << bad.error().message;
  EXPECT_NE(bad.error().message.find("not valid YAML"), std::string::npos) << bad.error().message;

  auto no_kind = parse_manifest("apiVersion: batch/v1\nmetadata: {name: x}\n", "job.yaml");
  ASSERT_FALSE(no_kind.ok());
  EXPECT_EQ(no_kind.error().message, "job.yaml:1:1: the object has no kind");

  auto two = parse_manifest("apiVersion: v1\nkind: A\n---\napiVersion: v1\nkind: B\n", "two.yaml");
  ASSERT_FALSE(two.ok());
  EXPECT_EQ(two.error().message, "two.yaml: expected one Kubernetes object, found 2 documents");

  auto list = parse_manifest("- a\n- b\n", "list.yaml");
  ASSERT_FALSE(list.ok());
  EXPECT_EQ(list.error().message, "list.yaml:1:1: expected a mapping (a Kubernetes object)");
}

TEST(ShortDuration, WritesDurationsAsKubectlColumnsDo) {
  using std::chrono::seconds;
  EXPECT_EQ(short_duration(seconds(7)), "7s");
  EXPECT_EQ(short_duration(seconds(192)), "3m12s");
  EXPECT_EQ(short_duration(seconds(720)), "12m");
  EXPECT_EQ(short_duration(seconds(7500)), "2h5m");
  EXPECT_EQ(short_duration(seconds(3 * 86400 + 4 * 3600)), "3d4h");
  EXPECT_EQ(short_duration(seconds(-5)), "0s");
}

}  // namespace
}  // namespace mgate::backend::kube
