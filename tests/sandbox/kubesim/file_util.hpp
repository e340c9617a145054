#pragma once
// Writing the simulator's files (keys, kubeconfigs, plugin scripts) with their mode from the
// first byte, so a key is never briefly readable by others.

#include <filesystem>
#include <string>

namespace mgate::kubesim {

/// Writes text to path (replacing it) with permission bits mode, e.g. 0600 or 0755. Throws
/// std::runtime_error on failure.
void write_file(const std::filesystem::path& path, const std::string& text, unsigned mode);

}  // namespace mgate::kubesim
