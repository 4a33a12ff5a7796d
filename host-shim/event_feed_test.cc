#include "host-shim/event_feed.h"

#include <unistd.h>

#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/unique_fd.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace armorclaw::host {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

// What a feed did: the events the stand-in plugin took, and the reports.
class Recorder {
 public:
  // Answers ACEB_BUSY to the first `busy_first` calls, ACEB_INVALID to events without a "{",
  // ACEB_BAD_STATE to "stop", and accepts the rest.
  PublishFn Publisher(int busy_first = 0) {
    busy_left_ = busy_first;
    return [this](std::string_view event, std::string* error) {
      std::lock_guard<std::mutex> lock(mutex_);
      if (busy_left_ > 0) {
        --busy_left_;
        return ACEB_BUSY;
      }
      if (event == "stop") return ACEB_BAD_STATE;
      if (!event.starts_with("{")) {
        *error = "not a JSON object";
        return ACEB_INVALID;
      }
      published_.emplace_back(event);
      return ACEB_OK;
    };
  }
  std::function<void(std::string_view)> Reporter() {
    return [this](std::string_view line) {
      std::lock_guard<std::mutex> lock(mutex_);
      reports_.emplace_back(line);
    };
  }
  std::vector<std::string> published() {
    std::lock_guard<std::mutex> lock(mutex_);
    return published_;
  }
  std::vector<std::string> reports() {
    std::lock_guard<std::mutex> lock(mutex_);
    return reports_;
  }

 private:
  std::mutex mutex_;
  int busy_left_ = 0;
  std::vector<std::string> published_;
  std::vector<std::string> reports_;
};

struct Pipe {
  Pipe() {
    int fds[2];
    EXPECT_EQ(::pipe(fds), 0);
    read_end = UniqueFd(fds[0]);
    write_end = UniqueFd(fds[1]);
  }
  void Write(std::string_view text) {
    EXPECT_EQ(::write(write_end.get(), text.data(), text.size()),
              static_cast<ssize_t>(text.size()));
  }
  UniqueFd read_end;
  UniqueFd write_end;
};

TEST(EventFeedTest, PublishesInOrderAndReportsRejects) {
  absl::StatusOr<ShutdownSignal> shutdown = ShutdownSignal::Create();
  ASSERT_TRUE(shutdown.ok());
  Recorder recorder;
  Pipe pipe;
  pipe.Write("{\"n\":1}\n\nnot json\n{\"n\":2}\n{\"n\":3}");
  pipe.write_end = UniqueFd();  // End of input.
  {
    EventFeed feed(pipe.read_end.get(), "events.jsonl", recorder.Publisher(/*busy_first=*/5),
                   *shutdown, recorder.Reporter());
  }  // Joins after end of input without a shutdown.
  EXPECT_THAT(recorder.published(), ElementsAre("{\"n\":1}", "{\"n\":2}", "{\"n\":3}"));
  EXPECT_THAT(recorder.reports(),
              ElementsAre("line 3: not a JSON object",
                          "events.jsonl: end of input; 3 events published, 1 rejected"));
}

TEST(EventFeedTest, OtherRefusalsEndTheFeed) {
  absl::StatusOr<ShutdownSignal> shutdown = ShutdownSignal::Create();
  ASSERT_TRUE(shutdown.ok());
  Recorder recorder;
  Pipe pipe;
  pipe.Write("{}\nstop\n{}\n");
  pipe.write_end = UniqueFd();
  {
    EventFeed feed(pipe.read_end.get(), "stdin", recorder.Publisher(), *shutdown,
                   recorder.Reporter());
  }
  EXPECT_THAT(recorder.published(), ElementsAre("{}"));
  EXPECT_THAT(recorder.reports(),
              ElementsAre("line 2: the plugin refused the event with ACEB_BAD_STATE; no more "
                          "events from stdin"));
}

TEST(EventFeedTest, ShutdownWakesAReaderWaitingForInput) {
  absl::StatusOr<ShutdownSignal> shutdown = ShutdownSignal::Create();
  ASSERT_TRUE(shutdown.ok());
  Recorder recorder;
  Pipe pipe;  // The write end stays open: the reader would wait forever.
  const auto start = std::chrono::steady_clock::now();
  {
    EventFeed feed(pipe.read_end.get(), "stdin", recorder.Publisher(), *shutdown,
                   recorder.Reporter());
    pipe.Write("{}\n");
    while (recorder.published().empty()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    shutdown->Trigger();
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  EXPECT_THAT(recorder.reports(), IsEmpty());
}

TEST(EventFeedTest, ShutdownEndsBusyRetries) {
  absl::StatusOr<ShutdownSignal> shutdown = ShutdownSignal::Create();
  ASSERT_TRUE(shutdown.ok());
  Recorder recorder;
  Pipe pipe;
  pipe.Write("{}\n");
  {
    EventFeed feed(pipe.read_end.get(), "stdin", recorder.Publisher(/*busy_first=*/1 << 30),
                   *shutdown, recorder.Reporter());
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    shutdown->Trigger();
  }
  EXPECT_THAT(recorder.published(), IsEmpty());
}

}  // namespace
}  // namespace armorclaw::host
