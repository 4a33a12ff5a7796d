#include "plugin/security/file_watch.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "boost/asio/io_context.hpp"
#include "gtest/gtest.h"

namespace armorclaw::eventbus {
namespace {

class FileWatchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / absl::StrCat("eventbus-file-watch-", ::getpid());
    std::filesystem::create_directories(dir_);
    Replace("a", "one");
    Replace("b", "one");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string Path(const char* name) const { return (dir_ / name).string(); }
  void Replace(const char* name, const char* content) {
    std::ofstream(Path("new")) << content;
    std::filesystem::rename(Path("new"), Path(name));
  }
  // Runs the I/O loop until the watch reports (it stops the loop) or `limit` passes.
  void RunUntilReported(std::chrono::milliseconds limit = std::chrono::seconds(20)) {
    io_.restart();
    io_.run_for(limit);
  }

  std::filesystem::path dir_;
  boost::asio::io_context io_;
  int reports_ = 0;
};

TEST_F(FileWatchTest, ReportsEachChangeOnce) {
  FileWatch watch(io_, {Path("a")}, [&] {
    ++reports_;
    io_.stop();
  });
  watch.Start();
  Replace("a", "two");
  RunUntilReported();
  EXPECT_EQ(reports_, 1);
  Replace("a", "three");
  RunUntilReported();
  EXPECT_EQ(reports_, 2);
  watch.Stop();
}

TEST_F(FileWatchTest, FilesChangedTogetherAreReportedTogether) {
  FileWatch watch(io_, {Path("a"), Path("b")}, [&] { ++reports_; });
  watch.Start();
  Replace("a", "two");
  Replace("b", "two");
  // Four polls: one sees the change, the next reports it, the others see nothing new.
  RunUntilReported(4 * FileWatch::kPollInterval + std::chrono::milliseconds(500));
  EXPECT_EQ(reports_, 1);
  watch.Stop();
}

TEST_F(FileWatchTest, AFileThatDisappearsIsReportedOnceItIsBack) {
  FileWatch watch(io_, {Path("a")}, [&] {
    ++reports_;
    io_.stop();
  });
  watch.Start();
  std::filesystem::remove(Path("a"));
  RunUntilReported();
  EXPECT_EQ(reports_, 1);  // Gone is a version too: the owner keeps what it has and warns.
  Replace("a", "back");
  RunUntilReported();
  EXPECT_EQ(reports_, 2);
  watch.Stop();
}

}  // namespace
}  // namespace armorclaw::eventbus
