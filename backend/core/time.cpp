#include "backend/core/time.hpp"

#include <fmt/format.h>

#include <cstdio>
#include <ctime>

namespace mgate::backend {

std::string format_rfc3339(Clock::time_point t) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch());
  const std::time_t secs = static_cast<std::time_t>(std::chrono::floor<std::chrono::seconds>(ms).count());
  std::tm tm{};
  gmtime_r(&secs, &tm);
  const long millis = static_cast<long>(ms.count() - static_cast<long long>(secs) * 1000);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, millis);
}

Result<Clock::time_point> parse_rfc3339(std::string_view text) {
  const std::string s(text);
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0, used = 0;
  if (std::sscanf(s.c_str(), "%4d-%2d-%2d%*1[Tt ]%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &used) != 6) {
    return make_error(ErrorCode::kProtocol, fmt::format("not an RFC 3339 time: {}", s));
  }
  std::size_t pos = static_cast<std::size_t>(used);
  std::chrono::nanoseconds fraction{0};
  if (pos < s.size() && s[pos] == '.') {
    long long scale = 100000000;
    for (++pos; pos < s.size() && s[pos] >= '0' && s[pos] <= '9'; ++pos, scale /= 10) {
      fraction += std::chrono::nanoseconds((s[pos] - '0') * scale);
    }
  }
  std::chrono::minutes offset{0};
  const std::string zone = s.substr(pos);
  int oh = 0, om = 0;
  if (zone == "Z" || zone == "z") {
  } else if (zone.size() == 6 && (zone[0] == '+' || zone[0] == '-') &&
             std::sscanf(zone.c_str() + 1, "%2d:%2d", &oh, &om) == 2) {
    offset = std::chrono::minutes(oh * 60 + om) * (zone[0] == '-' ? -1 : 1);
  } else {
    return make_error(ErrorCode::kProtocol, fmt::format("not an RFC 3339 time: {}", s));
  }
  const std::chrono::year_month_day date{std::chrono::year(y), std::chrono::month(mo), std::chrono::day(d)};
  if (!date.ok() || h > 23 || mi > 59 || sec > 60) {
    return make_error(ErrorCode::kProtocol, fmt::format("not an RFC 3339 time: {}", s));
  }
  const auto t = std::chrono::sys_days(date) + std::chrono::hours(h) + std::chrono::minutes(mi) +
                 std::chrono::seconds(sec) - offset;
  return std::chrono::time_point_cast<Clock::duration>(t + fraction);
}

}  // namespace mgate::backend
