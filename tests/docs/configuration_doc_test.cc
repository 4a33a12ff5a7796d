// The documentation against the plugin's parser: the key table of docs/configuration.md lists exactly
// the keys the plugin knows, in its order, and every TOML example in the README and docs/ is a
// configuration the plugin accepts without a warning.
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "host-shim/toml_config.h"
#include "plugin/config.h"

namespace armorclaw::eventbus {
namespace {

// A file of the source tree, by its path from the top.
std::string ReadSource(const std::string& path) {
  std::ifstream file(ARMORCLAW_EVENTBUS_SOURCE_DIR "/" + path);
  EXPECT_TRUE(file) << "cannot read " << path;
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

std::string ConfigurationDoc() { return ReadSource("docs/configuration.md"); }

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream stream(text);
  for (std::string line; std::getline(stream, line);) lines.push_back(line);
  return lines;
}

// The keys of the table rows "| [`key`](#anchor) | type | default | range |", in order.
std::vector<std::string> TableKeys(const std::string& doc) {
  std::vector<std::string> keys;
  constexpr std::string_view kRowStart = "| [`";
  for (const std::string& line : Lines(doc)) {
    if (!line.starts_with(kRowStart)) continue;
    keys.push_back(line.substr(kRowStart.size(), line.find('`', kRowStart.size()) - kRowStart.size()));
  }
  return keys;
}

// The text of every ```toml block.
std::vector<std::string> TomlBlocks(const std::string& doc) {
  std::vector<std::string> blocks;
  std::string* block = nullptr;
  for (const std::string& line : Lines(doc)) {
    if (block == nullptr && line == "```toml") {
      block = &blocks.emplace_back();
    } else if (block != nullptr && line == "```") {
      block = nullptr;
    } else if (block != nullptr) {
      *block += line + "\n";
    }
  }
  return blocks;
}

// What the plugin makes of a TOML text: its status, and the warnings (unknown keys) it gave.
struct Parsed {
  absl::Status status;
  std::vector<std::string> warnings;
};

Parsed ParseToml(const std::string& toml) {
  // Blocks that show one key are written without the table header.
  const std::string text = toml.starts_with("[eventbus]") ? toml : "[eventbus]\n" + toml;
  auto entries = host::ParseEventbusTable(text, "docs/configuration.md");
  if (!entries.ok()) return {entries.status(), {}};
  Parsed parsed;
  ConfigEntries plugin_entries(entries->begin(), entries->end());
  parsed.status = ParseConfig(plugin_entries, [&](std::string_view warning) {
                    parsed.warnings.emplace_back(warning);
                  }).status();
  return parsed;
}

TEST(ConfigurationDocTest, TheKeyTableListsEveryKeyInThePluginsOrder) {
  std::vector<std::string> known;
  for (std::string_view key : ConfigKeys()) known.emplace_back(key);
  EXPECT_EQ(TableKeys(ConfigurationDoc()), known);
}

TEST(ConfigurationDocTest, EveryTomlExampleIsAccepted) {
  int examples = 0;
  for (const char* path : {"README.md", "docs/configuration.md", "docs/security.md", "docs/websocket-client-guide.md"}) {
    for (const std::string& block : TomlBlocks(ReadSource(path))) {
      ++examples;
      const Parsed parsed = ParseToml(block);
      EXPECT_TRUE(parsed.status.ok()) << parsed.status << "\n" << path << ":\n" << block;
      EXPECT_THAT(parsed.warnings, ::testing::IsEmpty()) << path << ":\n" << block;
    }
  }
  EXPECT_GE(examples, 6);
}

TEST(ConfigurationDocTest, TheCompleteExamplesCommentedKeysAreAcceptedToo) {
  std::string uncommented;
  for (const std::string& block : TomlBlocks(ConfigurationDoc())) {
    if (block.find("websocket_enabled = true") == std::string::npos) continue;
    for (const std::string& line : Lines(block)) {
      // "# key = value" lines are keys; other comments are prose.
      const bool commented_key = line.starts_with("# ") && line.find(" = ") != std::string::npos &&
                                 line.find(' ', 2) == line.find(" = ");
      uncommented += (commented_key ? line.substr(2) : line) + "\n";
    }
  }
  ASSERT_FALSE(uncommented.empty()) << "no complete example found";
  const Parsed parsed = ParseToml(uncommented);
  EXPECT_TRUE(parsed.status.ok()) << parsed.status << "\n" << uncommented;
  EXPECT_THAT(parsed.warnings, ::testing::IsEmpty());
  // Every key appears in it, set or commented out.
  for (std::string_view key : ConfigKeys()) {
    EXPECT_THAT(uncommented, ::testing::HasSubstr("\n" + std::string(key) + " = ")) << key;
  }
}

}  // namespace
}  // namespace armorclaw::eventbus
