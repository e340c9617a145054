#include "tests/sandbox/kubesim/file_util.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <stdexcept>

#include <fmt/format.h>

namespace mgate::kubesim {

void write_file(const std::filesystem::path& path, const std::string& text, unsigned mode) {
  const auto perms = static_cast<mode_t>(mode);
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, perms);
  if (fd < 0) throw std::runtime_error(fmt::format("cannot create {}", path.string()));
  bool ok = ::fchmod(fd, perms) == 0;
  std::size_t done = 0;
  while (ok && done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    ok = n > 0;
    if (ok) done += static_cast<std::size_t>(n);
  }
  ok = (::close(fd) == 0) && ok;
  if (!ok) throw std::runtime_error(fmt::format("cannot write {}", path.string()));
}

}  // namespace mgate::kubesim
