#include "host-shim/line_splitter.h"

#include <string>
#include <tuple>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace armorclaw::host {
namespace {

using ::testing::ElementsAre;
using Seen = std::tuple<uint64_t, std::string, bool>;

// Feeds `chunks` and collects what comes out, including the unterminated tail.
std::vector<Seen> Split(const std::vector<std::string>& chunks, size_t max = 1 << 20) {
  LineSplitter splitter(max);
  std::vector<Seen> seen;
  const auto collect = [&](const Line& line) {
    seen.emplace_back(line.number, std::string(line.text), line.too_long);
    return true;
  };
  for (const std::string& chunk : chunks) EXPECT_TRUE(splitter.Feed(chunk, collect));
  EXPECT_TRUE(splitter.Finish(collect));
  return seen;
}

TEST(LineSplitterTest, WholeLines) {
  EXPECT_THAT(Split({"{\"a\":1}\n{\"b\":2}\n"}),
              ElementsAre(Seen{1, "{\"a\":1}", false}, Seen{2, "{\"b\":2}", false}));
}

TEST(LineSplitterTest, LinesAcrossChunks) {
  EXPECT_THAT(Split({"{\"a\"", ":1}\n{", "\"b\":2", "}\n"}),
              ElementsAre(Seen{1, "{\"a\":1}", false}, Seen{2, "{\"b\":2}", false}));
}

TEST(LineSplitterTest, SkipsBlankLinesButCountsThem) {
  EXPECT_THAT(Split({"\n  \t\n{}\n\r\n{}\n"}),
              ElementsAre(Seen{3, "{}", false}, Seen{5, "{}", false}));
}

TEST(LineSplitterTest, StripsCarriageReturn) {
  EXPECT_THAT(Split({"{}\r\n{}\r", "\n"}), ElementsAre(Seen{1, "{}", false}, Seen{2, "{}", false}));
}

TEST(LineSplitterTest, LastLineWithoutNewline) {
  EXPECT_THAT(Split({"{}\n{\"tail\":", "true}"}),
              ElementsAre(Seen{1, "{}", false}, Seen{2, "{\"tail\":true}", false}));
}

TEST(LineSplitterTest, OneMebibyteLine) {
  const std::string big = "{\"body\":\"" + std::string(1 << 20, 'x') + "\"}";
  std::vector<std::string> chunks;
  const std::string input = big + "\n{}\n";
  for (size_t i = 0; i < input.size(); i += 65536) chunks.push_back(input.substr(i, 65536));
  EXPECT_THAT(Split(chunks, LineSplitter::kDefaultMaxLineBytes),
              ElementsAre(Seen{1, big, false}, Seen{2, "{}", false}));
}

TEST(LineSplitterTest, OverlongLinesAreReportedAndDropped) {
  EXPECT_THAT(Split({"0123456789\n{}\n01234", "56789", "01\n{}\nabcdefghijkl"}, 8),
              ElementsAre(Seen{1, "", true}, Seen{2, "{}", false}, Seen{3, "", true},
                          Seen{4, "{}", false}, Seen{5, "", true}));
}

TEST(LineSplitterTest, CallbackCanStop) {
  LineSplitter splitter;
  int calls = 0;
  const auto stop_after_first = [&](const Line&) {
    ++calls;
    return false;
  };
  EXPECT_FALSE(splitter.Feed("{}\n{}\n{}\n", stop_after_first));
  EXPECT_EQ(calls, 1);
}

}  // namespace
}  // namespace armorclaw::host
