// docs/error-catalog.md against the real plugin: every text publish answers a bad event with is a row of
// the "Publish rejection reasons" table, and every row is a text publish gives.
#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "armorclaw/eventbus.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/docs/doc_text.h"
#include "tests/support/running_plugin.h"

namespace armorclaw::eventbus {
namespace {

using docs::Lines;
using docs::MatchesPlaceholders;
using docs::ReadSource;

// The first cell's text of each row of the table, without its backquotes.
std::vector<std::string> RejectionRows() {
  const std::string section = docs::Section(ReadSource("docs/error-catalog.md"), "## Publish rejection reasons");
  std::vector<std::string> rows;
  for (const std::string& line : Lines(section)) {
    if (!line.starts_with("| `")) continue;
    const size_t close = line.find("` |");
    if (close != std::string::npos) rows.push_back(line.substr(3, close - 3));
  }
  return rows;
}

// One bad event for each reason PrepareEvent (plugin/event_ingest.cc) refuses an event for.
const std::vector<std::string>& BadEvents() {
  static const std::vector<std::string> events = {
      R"({"type":"m.room.message","content":{"body":")" + std::string(2000, 'a') + R"("}})",
      R"({"type":)",
      R"(["m.room.message"])",
      R"({"type":"m.room.message","content":{"n":1e999}})",
      R"({"room_id":"!r:example.org"})",
      R"({"type":"m.room.message","sender":7})",
  };
  return events;
}

// PrepareEvent's refusals counted in its source, so that a new one cannot be added without a bad event
// here, and so without the catalog.
int RefusalsInTheSource() {
  const std::string source = ReadSource("plugin/event_ingest.cc");
  int refusals = 0;
  for (size_t at = source.find("InvalidArgumentError("); at != std::string::npos;
       at = source.find("InvalidArgumentError(", at + 1)) {
    ++refusals;
  }
  return refusals;
}

TEST(ErrorCatalogDocTest, EveryPublishRejectionIsInTheCatalog) {
  ASSERT_EQ(RefusalsInTheSource(), static_cast<int>(BadEvents().size()))
      << "plugin/event_ingest.cc refuses events for another reason: add a bad event for it here, and its text "
         "to docs/error-catalog.md";
  const std::vector<std::string> rows = RejectionRows();
  ASSERT_FALSE(rows.empty()) << "no table under \"Publish rejection reasons\"";
  testing::RunningPlugin plugin(host::ConfigEntries{{"max_event_bytes", "1024"}});
  std::vector<bool> row_seen(rows.size(), false);
  for (const std::string& event : BadEvents()) {
    std::string error;
    EXPECT_EQ(plugin.instance().Publish(event, &error), ACEB_INVALID) << event;
    const auto row = std::find_if(rows.begin(), rows.end(),
                                  [&](const std::string& text) { return MatchesPlaceholders(text, error); });
    EXPECT_NE(row, rows.end()) << "error-catalog.md does not list: " << error;
    if (row != rows.end()) row_seen[row - rows.begin()] = true;
  }
  for (size_t i = 0; i < rows.size(); ++i) {
    // The ABI's own argument check is the one text no event can produce.
    if (rows[i].starts_with("publish: ")) continue;
    EXPECT_TRUE(row_seen[i]) << "no bad event gives the catalog's text: " << rows[i];
  }
}

}  // namespace
}  // namespace armorclaw::eventbus
