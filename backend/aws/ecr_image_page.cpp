// parse_describe_images_page: a DescribeImages answer read as a stream of JSON events straight
// into EcrImage values. A repository of thousands of images answers in one body (moto ignores
// maxResults; ECR pages at up to 1,000): a document tree of it would take several times the
// body's size, the events take nothing beyond the images themselves.

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "backend/aws/ecr_client.hpp"

namespace mgate::backend::aws {
namespace {

using nlohmann::json;

// Depths, counted in open objects and arrays: 1 inside the answer object, 2 inside
// imageDetails, 3 inside one image, 4 inside one of its arrays or objects.
class ImagePageReader final : public nlohmann::json_sax<json> {
 public:
  EcrImagePage page;
  std::string error;

  bool null() override { return scalar(); }
  bool boolean(bool /*value*/) override { return scalar(); }
  bool number_integer(number_integer_t value) override {
    if (at_image_field("imageSizeInBytes")) image().size_bytes = value;
    if (at_image_field("imagePushedAt")) image().pushed_at = static_cast<double>(value);
    return scalar();
  }
  bool number_unsigned(number_unsigned_t value) override {
    if (at_image_field("imageSizeInBytes")) image().size_bytes = static_cast<std::int64_t>(value);
    if (at_image_field("imagePushedAt")) image().pushed_at = static_cast<double>(value);
    return scalar();
  }
  bool number_float(number_float_t value, const string_t& /*text*/) override {
    if (at_image_field("imagePushedAt")) image().pushed_at = value;
    return scalar();
  }
  bool string(string_t& value) override {
    if (depth_ == 1 && key_ == "nextToken") {
      page.next_token = std::move(value);
    } else if (at_image_field("imageDigest")) {
      image().digest = std::move(value);
    } else if (at_image_field("imageManifestMediaType")) {
      image().manifest_media_type = std::move(value);
    } else if (depth_ == 4 && in_tags_) {
      image().tags.push_back(std::move(value));
    }
    return scalar();
  }
  bool binary(binary_t& /*value*/) override { return scalar(); }

  bool start_object(std::size_t /*elements*/) override {
    if (depth_ == 0) root_is_object_ = true;
    if (depth_ == 2 && in_details_) page.images.emplace_back();
    ++depth_;
    return true;
  }
  bool key(string_t& value) override {
    if (depth_ <= 3) key_ = std::move(value);
    return true;
  }
  bool end_object() override {
    --depth_;
    return true;
  }
  bool start_array(std::size_t /*elements*/) override {
    if (depth_ == 1 && key_ == "imageDetails") in_details_ = true;
    if (at_image_field("imageTags")) in_tags_ = true;
    ++depth_;
    return true;
  }
  bool end_array() override {
    --depth_;
    if (depth_ == 1) in_details_ = false;
    if (depth_ == 3) in_tags_ = false;
    return true;
  }
  bool parse_error(std::size_t /*position*/, const std::string& /*last_token*/,
                   const nlohmann::detail::exception& e) override {
    error = e.what();
    return false;
  }

  bool root_is_object() const { return root_is_object_; }

 private:
  // A value directly under one image's `field`.
  bool at_image_field(std::string_view field) const { return depth_ == 3 && in_details_ && key_ == field; }
  EcrImage& image() { return page.images.back(); }
  bool scalar() const { return true; }

  int depth_ = 0;
  std::string key_;  // the last key read at depth 1 or 3
  bool in_details_ = false;
  bool in_tags_ = false;
  bool root_is_object_ = false;
};

}  // namespace

Result<EcrImagePage> parse_describe_images_page(std::string_view body, std::string_view repository) {
  ImagePageReader reader;
  const bool parsed = json::sax_parse(body, &reader);
  if (!parsed || !reader.root_is_object()) {
    const std::string why = !reader.error.empty() ? reader.error : "the answer is not a JSON object";
    return make_error(ErrorCode::kProtocol, fmt::format("ECR DescribeImages {}: unreadable answer: {}", repository, why));
  }
  return std::move(reader.page);
}

}  // namespace mgate::backend::aws
