// Reading the kernel's /proc files, for the programs that measure a process: the load generator
// (eventbus-bench, about the server it started) and the flood soak (tests/soak, about itself).
#ifndef ARMORCLAW_EVENTBUS_BENCH_PROC_FILES_H_
#define ARMORCLAW_EVENTBUS_BENCH_PROC_FILES_H_

#include <fcntl.h>
#include <sys/types.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

namespace armorclaw::eventbus::bench {

// The whole of a small file ("" if it cannot be read). /proc files report a size of 0, so they are read
// to their end instead.
inline std::string ReadSmallFile(const std::string& path) {
  std::string out;
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return out;
  char buffer[4096];
  for (;;) {
    const ssize_t n = read(fd, buffer, sizeof buffer);
    if (n <= 0) break;
    out.append(buffer, static_cast<size_t>(n));
  }
  close(fd);
  return out;
}

// A /proc/PID/status field in kB ("VmRSS", "VmHWM"); -1 if unavailable.
inline int64_t StatusKb(pid_t pid, std::string_view field) {
  const std::string status = ReadSmallFile("/proc/" + std::to_string(pid) + "/status");
  const size_t at = status.find(std::string(field) + ":");
  if (at == std::string::npos) return -1;
  return std::strtoll(status.c_str() + at + field.size() + 1, nullptr, 10);
}

}  // namespace armorclaw::eventbus::bench

#endif  // ARMORCLAW_EVENTBUS_BENCH_PROC_FILES_H_
