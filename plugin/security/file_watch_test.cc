#include "plugin/security/file_watch.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "boost/asio/io_context.hpp"
#include "boost/asio/post.hpp"
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
  FileWatch watch(io_, {Path("a")}, FileWatch::Read({Path("a")}), [&] {
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
  FileWatch watch(io_, {Path("a"), Path("b")}, FileWatch::Read({Path("a"), Path("b")}), [&] { ++reports_; });
  watch.Start();
  Replace("a", "two");
  Replace("b", "two");
  // Four polls: one sees the change, the next reports it, the others see nothing new.
  RunUntilReported(4 * FileWatch::kPollInterval + std::chrono::milliseconds(500));
  EXPECT_EQ(reports_, 1);
  watch.Stop();
}

TEST_F(FileWatchTest, AFileThatDisappearsIsReportedOnceItIsBack) {
  FileWatch watch(io_, {Path("a")}, FileWatch::Read({Path("a")}), [&] {
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

// The versions read when the files were loaded are the baseline, not those present when the watch starts:
// a file replaced in between is reported at the first polls.
TEST_F(FileWatchTest, AChangeBetweenReadingAndStartingIsReported) {
  const FileWatch::Stamps read = FileWatch::Read({Path("a")});
  Replace("a", "replaced before the watch started");
  FileWatch watch(io_, {Path("a")}, read, [&] {
    ++reports_;
    io_.stop();
  });
  watch.Start();
  RunUntilReported();
  EXPECT_EQ(reports_, 1);
  watch.Stop();
}

// A poll already due when Stop is called (its handler queued behind the caller's) must not arm another:
// the I/O loop then runs out of work and returns.
TEST_F(FileWatchTest, StopEndsPollingEvenWithAPollAlreadyDue) {
  FileWatch watch(io_, {Path("a")}, FileWatch::Read({Path("a")}), [&] { ++reports_; });
  watch.Start();
  // The loop is busy until the poll is due; Stop is queued behind that and the poll's completion lands
  // behind Stop, as when a busy I/O thread is asked to shut down.
  boost::asio::post(io_, [&] {
    std::this_thread::sleep_for(FileWatch::kPollInterval + std::chrono::milliseconds(200));
    boost::asio::post(io_, [&] { watch.Stop(); });
  });
  io_.run_for(std::chrono::seconds(20));
  EXPECT_TRUE(io_.stopped()) << "the watch kept the I/O loop busy after Stop";
}

}  // namespace
}  // namespace armorclaw::eventbus
