#include "backend/ops/audit_log.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace mgate::backend::ops {
namespace {

namespace fs = std::filesystem;

class AuditLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/mgate-audit-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }

  static std::string slurp(const fs::path& p) {
    std::ifstream in(p);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

  fs::path dir_;
};

AuditRecord stamp_record() {
  AuditRecord r;
  r.time = Clock::time_point(std::chrono::milliseconds(1779340397123LL));
  r.user = "oncall";
  r.env = "stage";
  r.action = "stamp";
  r.arguments.set("revisions", std::vector<std::string>{"48871d03964b"}).set("purge", false);
  r.before.set("versions", std::vector<std::string>{"1f2e3d4c5b6a"});
  r.after.set("versions", std::vector<std::string>{"48871d03964b"});
  r.outcome = AuditOutcome::kSucceeded;
  return r;
}

TEST_F(AuditLogTest, WritesOneJsonLinePerRecordWithEveryField) {
  const AuditLog log(dir_ / "state" / "audit.jsonl");
  ASSERT_TRUE(log.append(stamp_record()).ok());
  ASSERT_TRUE(log.append(stamp_record()).ok());
  const std::string text = slurp(log.path());
  const std::string line =
      R"({"action":"stamp","after":{"versions":["48871d03964b"]},"arguments":{"purge":false,)"
      R"("revisions":["48871d03964b"]},"before":{"versions":["1f2e3d4c5b6a"]},"env":"stage",)"
      R"("outcome":"succeeded","time":"2026-05-21T05:13:17.123Z","user":"oncall"})";
  EXPECT_EQ(text, line + "\n" + line + "\n");
  auto records = log.read_all();
  ASSERT_TRUE(records.ok());
  ASSERT_EQ(records->size(), 2u);
  EXPECT_EQ((*records)[1]["after"]["versions"][0], "48871d03964b");
}

TEST_F(AuditLogTest, CreatesTheFileWithMode0600EvenUnderAPermissiveUmask) {
  const mode_t old = ::umask(0);
  const AuditLog log(dir_ / "audit.jsonl");
  const auto status = log.append(stamp_record());
  ::umask(old);
  ASSERT_TRUE(status.ok()) << status.error().describe();
  struct stat st {};
  ASSERT_EQ(::stat(log.path().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(AuditLogTest, SecretsNeverReachTheFile) {
  AuditRecord r = stamp_record();
  r.arguments.set("token", Secret("eyJhbGciOiJSUzI1NiJ9.tok"));
  r.arguments.set("dsn", "postgresql://app:hunter2@db:5432/app");
  r.before.set("urls", std::vector<std::string>{"host=db password=swordfish"});
  r.reason = "forced: postgresql://app:hunter2@db/app was restored";
  const AuditLog log(dir_ / "audit.jsonl");
  ASSERT_TRUE(log.append(r).ok());
  const std::string text = slurp(log.path());
  EXPECT_EQ(text.find("eyJhbGci"), std::string::npos);
  EXPECT_EQ(text.find("hunter2"), std::string::npos);
  EXPECT_EQ(text.find("swordfish"), std::string::npos);
  EXPECT_NE(text.find(R"("token":"***")"), std::string::npos);
  EXPECT_NE(text.find(R"("dsn":"postgresql://app:***@db:5432/app")"), std::string::npos);
}

TEST_F(AuditLogTest, AMalformedLineIsReportedWithItsNumber) {
  const AuditLog log(dir_ / "audit.jsonl");
  ASSERT_TRUE(log.append(stamp_record()).ok());
  std::ofstream(log.path(), std::ios::app) << "{not json\n";
  auto records = log.read_all();
  ASSERT_FALSE(records.ok());
  EXPECT_NE(records.error().message.find("audit.jsonl:2:"), std::string::npos) << records.error().message;
}

TEST_F(AuditLogTest, AMissingLogIsAnEmptyHistory) {
  auto records = AuditLog(dir_ / "none.jsonl").read_all();
  ASSERT_TRUE(records.ok());
  EXPECT_TRUE(records->empty());
}

// Two processes append large records (well over PIPE_BUF) at once; every line
// must come out whole.
TEST_F(AuditLogTest, ConcurrentWritersNeverInterleaveALine) {
  const AuditLog log(dir_ / "audit.jsonl");
  constexpr int kPerWriter = 300;
  const std::string payload(16 * 1024, 'x');
  std::vector<pid_t> children;
  for (int w = 0; w < 2; ++w) {
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      for (int i = 0; i < kPerWriter; ++i) {
        AuditRecord r = stamp_record();
        r.env = w == 0 ? "stage" : "prod";
        r.arguments.set("n", i).set("payload", payload);
        if (!log.append(r).ok()) ::_exit(1);
      }
      ::_exit(0);
    }
    children.push_back(pid);
  }
  for (pid_t pid : children) {
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  auto records = log.read_all();
  ASSERT_TRUE(records.ok()) << records.error().describe();
  ASSERT_EQ(records->size(), 2u * kPerWriter);
  int next[2] = {0, 0};
  for (const auto& r : *records) {
    const int w = r["env"] == "stage" ? 0 : 1;
    EXPECT_EQ(r["arguments"]["n"], next[w]) << "records of one writer stay in order";
    EXPECT_EQ(r["arguments"]["payload"].get<std::string>().size(), payload.size());
    ++next[w];
  }
  EXPECT_EQ(next[0], kPerWriter);
  EXPECT_EQ(next[1], kPerWriter);
}

}  // namespace
}  // namespace mgate::backend::ops
