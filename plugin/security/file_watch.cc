#include "plugin/security/file_watch.h"

#include <sys/stat.h>

#include <utility>

namespace armorclaw::eventbus {

FileWatch::FileWatch(boost::asio::io_context& io, std::vector<std::string> paths, Stamps loaded,
                     std::function<void()> on_change)
    : timer_(io), paths_(std::move(paths)), on_change_(std::move(on_change)), reported_(std::move(loaded)) {
  seen_ = reported_;
}

void FileWatch::Start() {
  if (stopped_) return;
  timer_.expires_after(kPollInterval);
  timer_.async_wait([this](boost::system::error_code error) {
    if (!error) Poll();
  });
}

void FileWatch::Stop() {
  stopped_ = true;
  timer_.cancel();
}

void FileWatch::Rewatch(std::vector<std::string> paths, Stamps loaded) {
  paths_ = std::move(paths);
  reported_ = std::move(loaded);
  seen_ = reported_;
}

FileWatch::Stamps FileWatch::Read(const std::vector<std::string>& paths) {
  Stamps stamps;
  for (const std::string& path : paths) {
    struct stat info;
    if (::stat(path.c_str(), &info) != 0) {
      stamps.emplace_back();
      continue;
    }
    stamps.push_back(Stamp{static_cast<uint64_t>(info.st_dev), static_cast<uint64_t>(info.st_ino),
                           static_cast<uint64_t>(info.st_size),
                           int64_t{info.st_mtim.tv_sec} * 1'000'000'000 + info.st_mtim.tv_nsec});
  }
  return stamps;
}

void FileWatch::Poll() {
  if (stopped_) return;
  Stamps now = Read(paths_);
  // Changed since the last report, and not since the last poll: the writer is done.
  const bool settled = now != reported_ && now == seen_;
  seen_ = std::move(now);
  Start();
  if (settled) {
    reported_ = seen_;
    on_change_();
  }
}

}  // namespace armorclaw::eventbus
