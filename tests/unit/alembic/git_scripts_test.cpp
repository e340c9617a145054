// Reading the script directory at a commit of a real git repository built by the test: heads at
// each commit, abbreviated shas, the cache keyed by the versions trees, the errors, and a
// listing that matches what load_script_directory reads from a checkout.

#include <gtest/gtest.h>

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cctype>
#include <cerrno>
#include <chrono>

#include "backend/alembic/git_scripts.hpp"
#include "tests/unit/alembic/temp_tree.hpp"

extern char** environ;  // NOLINT: POSIX has the program declare it; posix_spawnp passes it on

namespace mgate::backend::alembic {
namespace {

namespace fs = std::filesystem;
using Strings = std::vector<std::string>;

// Runs `git -C repo args...` (argv, no shell) and returns its stdout without the final newline;
// a failing git fails the test.
std::string run_git(const fs::path& repo, const Strings& args) {
  Strings argv{"git", "-C", repo.string()};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<char*> cargs;
  for (const auto& a : argv) cargs.push_back(const_cast<char*>(a.c_str()));  // NOLINT: exec's signature
  cargs.push_back(nullptr);
  std::array<int, 2> out{-1, -1};
  EXPECT_EQ(::pipe2(out.data(), O_CLOEXEC), 0);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  pid_t pid = 0;
  const int rc = ::posix_spawnp(&pid, "git", &actions, nullptr, cargs.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(out[1]);
  std::string text;
  char buf[4096];
  ssize_t n;
  while (rc == 0 && ((n = ::read(out[0], buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR))) {
    if (n > 0) text.append(buf, static_cast<std::size_t>(n));
  }
  ::close(out[0]);
  int status = -1;
  if (rc == 0) ::waitpid(pid, &status, 0);
  EXPECT_TRUE(rc == 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << "git " << args.front() << " failed";
  while (!text.empty() && text.back() == '\n') text.pop_back();
  return text;
}

std::string revision_file(const std::string& id, const std::string& down, const std::string& label = {}) {
  std::string text = "\"\"\"" + id + "\n\nCreate Date: 2024-05-01 10:00:00\n\"\"\"\nrevision = '" + id +
                     "'\ndown_revision = " + (down.empty() ? "None" : "'" + down + "'") + "\n";
  if (!label.empty()) text += "branch_labels = ('" + label + "',)\n";
  return text;
}

// A repository in a temp dir, with its own identity and no signing, whatever the user's config.
class GitRepo {
 public:
  GitRepo() {
    run_git(t.path(), {"-c", "init.defaultBranch=main", "init", "-q"});
    run_git(t.path(), {"config", "user.name", "mgate test"});
    run_git(t.path(), {"config", "user.email", "test@mgate.invalid"});
    run_git(t.path(), {"config", "commit.gpgsign", "false"});
  }
  // Commits everything in the tree; the new commit's full id.
  std::string commit(const std::string& message) const {
    run_git(t.path(), {"add", "-A"});
    run_git(t.path(), {"commit", "-q", "--no-verify", "-m", message});
    return run_git(t.path(), {"rev-parse", "HEAD"});
  }
  TempTree t;
};

Strings heads_of(const ScriptDirectory& dir) {
  return dir.graph ? dir.graph->heads() : Strings{"<no graph>"};
}

// Four commits: no versions folder; two linear revisions; a third and a branch; a README edit.
Strings commit_history(const GitRepo& repo) {
  repo.t.write("alembic.ini", "[alembic]\nscript_location = %(here)s/migrations\n");
  repo.t.write("migrations/env.py", "# env\n");
  repo.t.write("README", "app\n");
  Strings shas{repo.commit("no versions yet")};
  repo.t.write("migrations/versions/a1_first.py", revision_file("a1", ""));
  repo.t.write("migrations/versions/b2_second.py", revision_file("b2", "a1"));
  shas.push_back(repo.commit("two revisions"));
  repo.t.write("migrations/versions/c3_third.py", revision_file("c3", "b2"));
  repo.t.write("migrations/versions/s1_side.py", revision_file("s1", "a1", "side"));
  shas.push_back(repo.commit("a third revision and a branch"));
  repo.t.write("README", "app, changed\n");
  shas.push_back(repo.commit("not a migration"));
  return shas;
}

TEST(CommitScripts, HeadsAtEachCommitWithTheCacheKeyedByTheVersionsTrees) {
  GitRepo repo;
  const Strings shas = commit_history(repo);
  const std::string &c0 = shas[0], &c1 = shas[1], &c2 = shas[2], &c3 = shas[3];
  auto scripts = CommitScripts::open(repo.t.path(), repo.t.path("alembic.ini"));
  ASSERT_TRUE(scripts.ok()) << scripts.error().describe();
  EXPECT_EQ(scripts->parsed(), 0U);

  auto at0 = scripts->at(c0);
  ASSERT_TRUE(at0.ok()) << at0.error().describe();
  EXPECT_FALSE((*at0)->ok());
  ASSERT_EQ((*at0)->diagnostics.size(), 1U);
  EXPECT_EQ((*at0)->diagnostics[0].format(),
            "migrations/versions: error: the versions folder does not exist at this commit");

  auto at1 = scripts->at(c1);
  ASSERT_TRUE(at1.ok()) << at1.error().describe();
  EXPECT_EQ(heads_of(**at1), (Strings{"b2"}));
  auto at2 = scripts->at(c2);
  ASSERT_TRUE(at2.ok()) << at2.error().describe();
  EXPECT_EQ(heads_of(**at2), (Strings{"c3", "s1"}));
  EXPECT_EQ((*at2)->graph->find("s1")->branch_labels, (Strings{"side"}));
  EXPECT_EQ((*at2)->graph->find("c3")->script.path, "migrations/versions/c3_third.py");
  EXPECT_EQ(scripts->parsed(), 3U);

  // c3 touched no version file: c2's result, not parsed again; nor is c1 asked again.
  auto at3 = scripts->at(c3);
  ASSERT_TRUE(at3.ok()) << at3.error().describe();
  EXPECT_EQ(at3->get(), at2->get());
  auto again1 = scripts->at(c1);
  ASSERT_TRUE(again1.ok());
  EXPECT_EQ(again1->get(), at1->get());
  EXPECT_EQ(scripts->parsed(), 3U);

  // Abbreviated, and in capitals: as git rev-parse takes them.
  auto short1 = scripts->at(c1.substr(0, 7));
  ASSERT_TRUE(short1.ok()) << short1.error().describe();
  EXPECT_EQ(short1->get(), at1->get());
  std::string upper = c2.substr(0, 10);
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  auto short2 = scripts->at(upper);
  ASSERT_TRUE(short2.ok()) << short2.error().describe();
  EXPECT_EQ(heads_of(**short2), (Strings{"c3", "s1"}));
  EXPECT_EQ(scripts->parsed(), 3U);
}

TEST(CommitScripts, TheLastCommitReadsAsItsCheckout) {
  GitRepo repo;
  const Strings shas = commit_history(repo);
  auto scripts = CommitScripts::open(repo.t.path(), repo.t.path("alembic.ini"));
  ASSERT_TRUE(scripts.ok()) << scripts.error().describe();
  auto at3 = scripts->at(shas[3]);
  ASSERT_TRUE(at3.ok() && (*at3)->ok());
  // The working tree is the last commit: the file-system reader agrees, file for file.
  auto disk = load_script_directory(repo.t.path("alembic.ini"));
  ASSERT_TRUE(disk.ok() && disk->ok());
  ASSERT_EQ(disk->graph->revisions().size(), (*at3)->graph->revisions().size());
  for (std::size_t i = 0; i < disk->graph->revisions().size(); ++i) {
    Script from_disk = disk->graph->revisions()[i].script;
    from_disk.path = fs::path(from_disk.path).lexically_relative(repo.t.path()).string();
    EXPECT_EQ(from_disk, (*at3)->graph->revisions()[i].script);
  }
}

TEST(CommitScripts, UnknownShasAndWhatIsNotACommit) {
  GitRepo repo;
  repo.t.write("versions/a1_first.py", revision_file("a1", ""));
  repo.commit("one");
  auto scripts = CommitScripts::open(repo.t.path(), repo.t.path("versions"));
  ASSERT_TRUE(scripts.ok()) << scripts.error().describe();

  auto unknown = scripts->at("deadbeefdeadbeef");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(unknown.error().message,
            "commit deadbeefdeadbeef is not in the repository " + repo.t.path().string());

  // A blob's id names an object, but no commit (rev-parse --verify <id>^{commit} fails too).
  const std::string blob = run_git(repo.t.path(), {"rev-parse", "HEAD:versions/a1_first.py"});
  auto not_commit = scripts->at(blob);
  ASSERT_FALSE(not_commit.ok());
  EXPECT_EQ(not_commit.error().code, ErrorCode::kNotFound);

  for (const char* bad : {"", "abc", "HEAD", "1234567\nHEAD", "12345678^{tree}"}) {
    auto r = scripts->at(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument) << bad;
  }
  // The same child still answers after the refusals.
  auto head = scripts->at(run_git(repo.t.path(), {"rev-parse", "HEAD"}));
  ASSERT_TRUE(head.ok()) << head.error().describe();
  EXPECT_EQ(heads_of(**head), (Strings{"a1"}));
}

TEST(CommitScripts, ListingMatchesTheFileSystemReader) {
  GitRepo repo;
  repo.t.write("alembic.ini",
               "[alembic]\nscript_location = %(here)s/m\nrecursive_version_locations = true\n"
               "version_path_separator = os\nversion_locations = %(here)s/v:%(here)s/v/sub:%(here)s/gone\n");
  repo.t.write("m/env.py", "");
  int n = 0;
  for (const char* f : {"v/b.py", "v/a.py", "v/sub/z.py", "v/sub/deeper/c.py", "v/sub2/d.py", "v/a/e.py",
                        "v/a-b/f.py", "v/__pycache__/g.py", "outside/h.py"}) {
    repo.t.write(f, revision_file("r" + std::to_string(++n), ""));
  }
  for (const char* f : {"v/__init__.py", "v/__init__x.py", "v/.#lock.py", "v/README", "v/x.pyc"})
    repo.t.write(f, "");
  // A link to a file is read through it; a link to a folder is not walked (os.walk's rule).
  fs::create_symlink("../outside/h.py", repo.t.path("v/linked.py"));
  fs::create_symlink("sub2", repo.t.path("v/dirlink.py"));
  const std::string head = repo.commit("tricky names");

  auto scripts = CommitScripts::open(repo.t.path(), repo.t.path("alembic.ini"));
  ASSERT_TRUE(scripts.ok()) << scripts.error().describe();
  auto at = scripts->at(head);
  ASSERT_TRUE(at.ok()) << at.error().describe();
  auto disk = load_script_directory(repo.t.path("alembic.ini"));
  ASSERT_TRUE(disk.ok() && disk->graph && (*at)->graph);

  Strings from_git, from_disk;
  for (const auto& r : (*at)->graph->revisions()) from_git.push_back(r.script.path);
  for (const auto& r : disk->graph->revisions()) {
    from_disk.push_back(fs::path(r.script.path).lexically_relative(repo.t.path()).string());
  }
  EXPECT_EQ(from_git, (Strings{"v/a.py", "v/b.py", "v/linked.py", "v/a/e.py", "v/a-b/f.py", "v/sub/z.py",
                               "v/sub/deeper/c.py", "v/sub2/d.py"}));
  EXPECT_EQ(from_git, from_disk);
  ASSERT_EQ((*at)->diagnostics.size(), disk->diagnostics.size());
  EXPECT_EQ(
      (*at)->diagnostics[0],
      warning_at("v/sub/z.py", 0, "loaded twice (version_locations overlap); the second copy is ignored"));
  EXPECT_EQ((*at)->diagnostics.back().file, "gone");
  EXPECT_EQ((*at)->source.version_locations, (std::vector<fs::path>{"v", "v/sub", "gone"}));

  // The linked file lies outside the trees the cache is keyed by: read again each time.
  ASSERT_TRUE(scripts->at(head).ok());
  EXPECT_EQ(scripts->parsed(), 2U);
}

TEST(CommitScripts, ConfigurationErrors) {
  TempTree plain;  // not a repository
  plain.write("versions/a1.py", revision_file("a1", ""));
  auto no_repo = CommitScripts::open(plain.path(), plain.path("versions"));
  ASSERT_FALSE(no_repo.ok());
  EXPECT_EQ(no_repo.error().code, ErrorCode::kIo);
  EXPECT_NE(no_repo.error().message.find(
                "cat-file --batch: git exited with status 128: fatal: not a git repository"),
            std::string::npos)
      << no_repo.error().message;

  GitRepo repo;
  repo.t.write("app/alembic.ini",
               "[alembic]\nscript_location = %(here)s/m\nversion_locations = %(here)s/../../x\n");
  repo.t.write("app/m/env.py", "");
  auto outside = CommitScripts::open(repo.t.path(), repo.t.path("app/alembic.ini"));
  ASSERT_FALSE(outside.ok());
  EXPECT_EQ(outside.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(outside.error().message.find("is outside the repository"), std::string::npos);

  CommitScriptsOptions no_git;
  no_git.git = "/nonexistent/git";
  auto missing = CommitScripts::open(repo.t.path(), repo.t.path("app/m"), no_git);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::kIo);
  EXPECT_NE(missing.error().message.find("cannot run /nonexistent/git"), std::string::npos);
}

TEST(CommitScripts, AGitThatDoesNotAnswerIsKilledAtTheTimeout) {
  GitRepo repo;
  repo.t.write("versions/a1_first.py", revision_file("a1", ""));
  repo.t.write("bin/git", "#!/bin/sh\nexec sleep 30\n");
  fs::permissions(repo.t.path("bin/git"), fs::perms::owner_all);
  CommitScriptsOptions hung;
  hung.git = repo.t.path("bin/git").string();
  hung.timeout = std::chrono::milliseconds(200);
  const auto started = std::chrono::steady_clock::now();
  auto scripts = CommitScripts::open(repo.t.path(), repo.t.path("versions"), hung);
  ASSERT_FALSE(scripts.ok());
  EXPECT_EQ(scripts.error().code, ErrorCode::kTimeout);
  EXPECT_TRUE(scripts.error().retryable);
  EXPECT_EQ(scripts.error().message,
            hung.git + " -C " + repo.t.path().string() + " cat-file --batch: no reply within 200 ms");
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
}

}  // namespace
}  // namespace mgate::backend::alembic
