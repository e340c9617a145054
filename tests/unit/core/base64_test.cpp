// Base64 against RFC 4648 §10's test vectors, the URL alphabet, and the inputs the backend meets:
// kubeconfig data with line breaks, Docker auth values without padding, malformed text.

#include "backend/core/base64.hpp"

#include <gtest/gtest.h>

namespace mgate::backend {
namespace {

TEST(Base64, Rfc4648TestVectorsRoundTrip) {
  const std::pair<const char*, const char*> vectors[] = {{"", ""},         {"f", "Zg=="},         {"fo", "Zm8="},
                                                         {"foo", "Zm9v"},  {"foob", "Zm9vYg=="},  {"fooba", "Zm9vYmE="},
                                                         {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(base64_encode(plain), encoded);
    EXPECT_EQ(base64_decode(encoded), std::optional<std::string>(plain)) << encoded;
  }
}

TEST(Base64, UrlAlphabetWithoutPaddingAsEksTokensUseIt) {
  const std::string bytes = "\xfb\xff\xbf?";
  EXPECT_EQ(base64_encode(bytes), "+/+/Pw==");
  EXPECT_EQ(base64_encode(bytes, Base64Alphabet::kUrl, false), "-_-_Pw");
  EXPECT_EQ(base64_decode("-_-_Pw", Base64Alphabet::kUrl), std::optional<std::string>(bytes));
  EXPECT_EQ(base64_decode("-_-_Pw"), std::nullopt) << "'-' is not in the standard alphabet";
}

TEST(Base64, LineBreaksAreSkippedAndMalformedTextIsRefused) {
  EXPECT_EQ(base64_decode("Zm9v\nYmFy\r\n"), std::optional<std::string>("foobar"));
  EXPECT_EQ(base64_decode("Zm9vYg"), std::optional<std::string>("foob")) << "padding is optional";
  EXPECT_EQ(base64_decode("Zm9vY"), std::nullopt) << "a lone final character ends no byte";
  EXPECT_EQ(base64_decode("Zg==Zg=="), std::nullopt) << "data after padding";
  EXPECT_EQ(base64_decode("Zm9v!"), std::nullopt);
}

TEST(Base64, RoundTripsEveryPaddingLength) {
  EXPECT_EQ(base64_encode("user:pass"), "dXNlcjpwYXNz");
  EXPECT_EQ(base64_encode("a"), "YQ==");
  EXPECT_EQ(base64_encode("ab"), "YWI=");
  for (const std::string s : {"", "a", "ab", "abc", "abcd", "\xff\x00\x10"}) {
    EXPECT_EQ(base64_decode(base64_encode(s)).value_or("<bad>"), s);
  }
  EXPECT_EQ(base64_decode("YQ").value_or("<bad>"), "a");
  EXPECT_FALSE(base64_decode("Y*=="));
}

}  // namespace
}  // namespace mgate::backend
