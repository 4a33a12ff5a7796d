#include "plugin/auth_reloader.h"

#include <sys/stat.h>

#include "absl/strings/str_cat.h"
#include "plugin/session.h"

namespace armorclaw::eventbus {

AuthReloader::AuthReloader(boost::asio::io_context& io, std::shared_ptr<Hub> hub)
    : timer_(io), hub_(std::move(hub)) {
  for (const std::string* path : {&hub_->config.auth_tokens_file, &hub_->config.auth_jwt_secret_file}) {
    if (!path->empty()) paths_.push_back(*path);
  }
  // The files as create read them, moments ago.
  loaded_ = seen_ = Read();
}

void AuthReloader::Start() {
  timer_.expires_after(kPollInterval);
  timer_.async_wait([this](boost::system::error_code error) {
    if (!error) Poll();
  });
}

void AuthReloader::Stop() { timer_.cancel(); }

AuthReloader::Stamps AuthReloader::Read() const {
  Stamps stamps;
  for (const std::string& path : paths_) {
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

void AuthReloader::Poll() {
  const Stamps now = Read();
  // Changed since the last load and unchanged since the last poll: the writer is done.
  if (now != loaded_ && now == seen_) Reload();
  seen_ = now;
  Start();
}

void AuthReloader::Reload() {
  const Config& config = hub_->config;
  loaded_ = seen_;
  auto authenticator = Authenticator::Create(config.auth_tokens_file, config.auth_jwt_secret_file,
                                             {config.auth_jwt_audience, config.auth_jwt_issuer});
  if (!authenticator.ok()) {
    Increment(hub_->counters.auth_reload_failures);
    hub_->log.Warn(absl::StrCat("cannot reload the authentication files, the previous ones stay in force: ",
                                authenticator.status().message()));
    return;
  }
  hub_->authenticator = *std::move(authenticator);
  Increment(hub_->counters.auth_reloads);
  hub_->log.Info(absl::StrCat("authentication reloaded: ", hub_->authenticator->Describe()));
  // A copy, as for every walk that may close sessions.
  const std::vector<Session*> sessions(hub_->sessions.begin(), hub_->sessions.end());
  for (Session* session : sessions) session->Recheck();
}

}  // namespace armorclaw::eventbus
