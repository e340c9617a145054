// Reading libpq and server messages into Errors: the code a caller acts on, the sentence a
// person reads, the SQLSTATE in the detail.

#include "backend/db/pg_error.hpp"

#include <gtest/gtest.h>

namespace mgate::backend::db {
namespace {

constexpr const char* kTarget = "postgresql://mgate@127.0.0.1:5433/stage";

TEST(PgError, FirstReasonDropsThePreambleAndSeverity) {
  EXPECT_EQ(first_reason("connection to server at \"127.0.0.1\", port 5433 failed: FATAL:  password "
                         "authentication failed for user \"mgate\"\n"),
            "password authentication failed for user \"mgate\"");
  EXPECT_EQ(first_reason("ERROR:  canceling statement due to lock timeout\nCONTEXT: x\n"),
            "canceling statement due to lock timeout");
}

TEST(PgError, OneLineJoinsLines) {
  EXPECT_EQ(one_line("a\n\tIs the server running?\n"), "a | Is the server running?");
}

TEST(PgError, ConnectFailuresAreClassified) {
  const Error auth = connect_error(
      "connection to server at \"127.0.0.1\", port 5433 failed: FATAL:  password authentication failed for "
      "user "
      "\"mgate\"\n",
      kTarget, "stage");
  EXPECT_EQ(auth.code, ErrorCode::kUnauthenticated);
  EXPECT_FALSE(auth.retryable);
  EXPECT_EQ(auth.message,
            std::string("connecting to ") + kTarget +
                " (environment stage) failed: password authentication failed for user \"mgate\"");

  const Error refused = connect_error(
      "connection to server at \"127.0.0.1\", port 1 failed: Connection refused\n\tIs the server running on "
      "that "
      "host and accepting TCP/IP connections?\n",
      kTarget, "stage");
  EXPECT_EQ(refused.code, ErrorCode::kUnavailable);
  EXPECT_TRUE(refused.retryable);
  EXPECT_EQ(
      refused.detail,
      "connection to server at \"127.0.0.1\", port 1 failed: Connection refused | Is the server running on "
      "that host and accepting TCP/IP connections?");

  EXPECT_EQ(connect_error("invalid percent-encoded token: \"x\"\n", kTarget, "stage").code,
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(connect_error("definition of service \"nope\" not found\n", kTarget, "stage").code,
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(
      connect_error("connection to server at \"h\", port 1 failed: FATAL:  database \"x\" does not exist\n",
                    kTarget, "stage")
          .code,
      ErrorCode::kNotFound);
}

TEST(PgError, SqlStatesMapToCodes) {
  const Error lock = sql_error("55P03", "ERROR:  canceling statement due to lock timeout\n",
                               "LOCK TABLE \"public\".\"alembic_version\" IN SHARE ROW EXCLUSIVE MODE",
                               "stamping public.alembic_version", kTarget);
  EXPECT_EQ(lock.code, ErrorCode::kConflict);
  EXPECT_TRUE(lock.retryable);
  EXPECT_EQ(lock.message,
            std::string("stamping public.alembic_version on ") + kTarget +
                " failed: another session holds the version table (a running migration or another "
                "stamp); nothing was changed, try again");
  EXPECT_EQ(lock.detail,
            "SQLSTATE 55P03: ERROR:  canceling statement due to lock timeout; statement: LOCK TABLE "
            "\"public\".\"alembic_version\" IN SHARE ROW EXCLUSIVE MODE");

  const auto code = [](const char* state) { return sql_error(state, "ERROR:  x", "", "op", kTarget).code; };
  EXPECT_EQ(code("42501"), ErrorCode::kPermissionDenied);
  EXPECT_EQ(code("3F000"), ErrorCode::kNotFound);
  EXPECT_EQ(code("57014"), ErrorCode::kTimeout);
  EXPECT_EQ(code("40P01"), ErrorCode::kConflict);
  EXPECT_EQ(code("23505"), ErrorCode::kConflict);
  EXPECT_EQ(code("22001"), ErrorCode::kInvalidArgument);
  EXPECT_EQ(code("57P01"), ErrorCode::kUnavailable);
  EXPECT_EQ(code("XX000"), ErrorCode::kInternal);
  EXPECT_EQ(sql_error("42P01", "ERROR:  relation \"x\" does not exist\n", "", "reading x", kTarget).message,
            std::string("reading x on ") + kTarget + " failed: relation \"x\" does not exist");
}

}  // namespace
}  // namespace mgate::backend::db
