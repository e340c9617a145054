#include "backend/core/redact.hpp"

#include <gtest/gtest.h>

#include <sstream>

#include "backend/core/error.hpp"
#include "backend/core/exit_code.hpp"
#include "backend/core/secret.hpp"
#include "backend/core/time.hpp"

namespace mgate::backend {
namespace {

TEST(Redact, MasksTheUserinfoPasswordOfAUri) {
  EXPECT_TRUE(dsn_has_password("postgresql://app:s3cret@db:5432/app"));
  EXPECT_EQ(redact_dsn("postgresql://app:s3cret@db:5432/app"), "postgresql://app:***@db:5432/app");
}

TEST(Redact, MasksAPasswordHoldingQueryOrFragmentCharacters) {
  // libpq ends the userinfo at the first '@' before the path, so these are all password.
  EXPECT_TRUE(dsn_has_password("postgresql://u:p?x#y:z@h/db"));
  EXPECT_EQ(redact_dsn("postgresql://u:p?x#y:z@h/db"), "postgresql://u:***@h/db");
  EXPECT_EQ(redact_dsn("postgresql://u:pw@h/db?password=other"), "postgresql://u:***@h/db?password=***");
}

TEST(Redact, KeepsAUriWithoutPassword) {
  EXPECT_FALSE(dsn_has_password("postgresql://app@db:5432/app?sslmode=require"));
  EXPECT_EQ(redact_dsn("postgresql://app@db:5432/app?sslmode=require"),
            "postgresql://app@db:5432/app?sslmode=require");
}

TEST(Redact, MasksAPasswordQueryParameter) {
  EXPECT_TRUE(dsn_has_password("postgresql://db/app?user=a&password=hunter2&sslmode=disable"));
  EXPECT_EQ(redact_dsn("postgresql://db/app?user=a&password=hunter2&sslmode=disable"),
            "postgresql://db/app?user=a&password=***&sslmode=disable");
}

TEST(Redact, MasksKeyValuePasswordsQuotedOrNot) {
  EXPECT_TRUE(dsn_has_password("host=db password=hunter2 dbname=app"));
  EXPECT_EQ(redact_dsn("host=db password=hunter2 dbname=app"), "host=db password=*** dbname=app");
  EXPECT_EQ(redact_dsn("host=db password = 'a b\\' c' user=x"), "host=db password = *** user=x");
  EXPECT_FALSE(dsn_has_password("host=db user=app dbname=app"));
}

TEST(Redact, MasksTheClientKeyPassphraseToo) {
  EXPECT_TRUE(dsn_has_password("host=db sslpassword=keypass dbname=app"));
  EXPECT_EQ(redact_dsn("host=db sslpassword=keypass dbname=app"), "host=db sslpassword=*** dbname=app");
  EXPECT_EQ(redact_dsn("postgresql://app@db/app?sslpassword=keypass"), "postgresql://app@db/app?sslpassword=***");
}

TEST(Redact, LeavesOrdinaryTextAlone) {
  EXPECT_EQ(redact_dsn("stage-migrated-3f2a1c9"), "stage-migrated-3f2a1c9");
}

TEST(Secret, PrintsMasked) {
  std::ostringstream os;
  os << Secret("tok-123");
  EXPECT_EQ(os.str(), "***");
  EXPECT_EQ(Secret("tok-123").reveal(), "tok-123");
}

TEST(ExitCodes, MapErrorsToTheDocumentedNumbers) {
  EXPECT_EQ(static_cast<int>(exit_code_for(make_error(ErrorCode::kRefused, "x"))), 3);
  EXPECT_EQ(static_cast<int>(exit_code_for(make_error(ErrorCode::kConflict, "x"))), 3);
  EXPECT_EQ(static_cast<int>(exit_code_for(make_error(ErrorCode::kInvalidArgument, "x"))), 2);
  EXPECT_EQ(static_cast<int>(exit_code_for(make_error(ErrorCode::kUnavailable, "x"))), 1);
  EXPECT_EQ(make_error(ErrorCode::kNotFound, "no job", "404").describe(), "no job (404)");
}

TEST(Time, FormatsRfc3339InUtcWithMilliseconds) {
  const auto t = Clock::time_point(std::chrono::milliseconds(1779340397123LL));
  EXPECT_EQ(format_rfc3339(t), "2026-05-21T05:13:17.123Z");
}

}  // namespace
}  // namespace mgate::backend
