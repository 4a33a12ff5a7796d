// The documentation against the plugin's parser: the key table of docs/configuration.md lists exactly
// the keys the plugin knows, in its order; every TOML example in the README and docs/ is a configuration
// the plugin accepts without a warning; every count of keys or rules that the docs write out is the
// code's; the client guide names every key; and every rule relating keys is documented with its text.
#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "host-shim/toml_config.h"
#include "plugin/config.h"
#include "tests/docs/doc_text.h"

namespace armorclaw::eventbus {
namespace {

using docs::CapitalizedNumberWord;
using docs::CodeTexts;
using docs::Lines;
using docs::MatchesPlaceholders;
using docs::NumberWord;
using docs::ReadSource;
using docs::Section;

std::string ConfigurationDoc() { return ReadSource("docs/configuration.md"); }

constexpr std::string_view kKeyRowStart = "| [`";

// The keys of the table rows "| [`key`](#anchor) | type | default | range |", in order.
std::vector<std::string> TableKeys(const std::string& doc) {
  std::vector<std::string> keys;
  for (const std::string& line : Lines(doc)) {
    if (!line.starts_with(kKeyRowStart)) continue;
    keys.push_back(line.substr(kKeyRowStart.size(), line.find('`', kKeyRowStart.size()) - kKeyRowStart.size()));
  }
  return keys;
}

// How many rows of the key table say "not set" in the default column: the keys without a default.
int KeysWithoutDefault(const std::string& doc) {
  int count = 0;
  for (const std::string& line : Lines(doc)) {
    if (!line.starts_with(kKeyRowStart)) continue;
    // "| key | type | default | accepted |": the default cell starts at the third bar.
    size_t bar = 0;
    for (int cell = 0; cell < 2 && bar != std::string::npos; ++cell) bar = line.find('|', bar + 1);
    if (bar != std::string::npos && line.compare(bar, 10, "| not set ") == 0) ++count;
  }
  return count;
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
  const std::vector<std::string> lines = Lines(toml);
  const bool has_header = std::find(lines.begin(), lines.end(), "[eventbus]") != lines.end();
  const std::string text = has_header ? toml : "[eventbus]\n" + toml;
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

TEST(ConfigurationDocTest, TheReloadTableGivesEveryKeyItsClassInThePluginsOrder) {
  // Rows "| `key` | class |" of the section, against the class the plugin's key table gives each key.
  const std::string section = Section(ConfigurationDoc(), "## Reloading the configuration");
  std::vector<std::pair<std::string, std::string>> documented;
  for (const std::string& line : Lines(section)) {
    if (!line.starts_with("| `")) continue;
    const size_t key_end = line.find('`', 3);
    const size_t class_start = line.find("| ", key_end) + 2;
    documented.emplace_back(line.substr(3, key_end - 3), line.substr(class_start, line.rfind(" |") - class_start));
  }
  std::vector<std::pair<std::string, std::string>> classes;
  for (std::string_view key : ConfigKeys()) classes.emplace_back(key, ReloadName(ReloadOf(key)));
  EXPECT_EQ(documented, classes);
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

// `toml` with its "# key = value" lines made keys; other comments are prose and stay.
std::string UncommentKeys(const std::string& toml) {
  std::string uncommented;
  for (const std::string& line : Lines(toml)) {
    const bool commented_key = line.starts_with("# ") && line.find(" = ") != std::string::npos &&
                               line.find(' ', 2) == line.find(" = ");
    uncommented += (commented_key ? line.substr(2) : line) + "\n";
  }
  return uncommented;
}

TEST(ConfigurationDocTest, TheCompleteExamplesCommentedKeysAreAcceptedToo) {
  std::string uncommented;
  for (const std::string& block : TomlBlocks(ConfigurationDoc())) {
    if (block.find("websocket_enabled = true") == std::string::npos) continue;
    uncommented += UncommentKeys(block);
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

// The example config.toml the package installs (docs/operations.md, "Installing the Debian package"), as
// shipped and with its commented-out keys set.
TEST(ConfigurationDocTest, ThePackagedExampleIsAcceptedWithItsCommentedKeysToo) {
  const std::string example = ReadSource("packaging/config.toml");
  ASSERT_FALSE(example.empty());
  for (const std::string& text : {example, UncommentKeys(example)}) {
    const Parsed parsed = ParseToml(text);
    EXPECT_TRUE(parsed.status.ok()) << parsed.status << "\n" << text;
    EXPECT_THAT(parsed.warnings, ::testing::IsEmpty()) << text;
  }
  EXPECT_NE(UncommentKeys(example), example) << "the example shows no optional key";
}

// The keys of the original client guide: those its first TOML example sets.
std::vector<std::string> OriginalGuideKeys() {
  std::vector<std::string> keys;
  const std::vector<std::string> blocks = TomlBlocks(ReadSource("docs/websocket-client-guide.md"));
  if (blocks.empty()) return keys;
  for (const std::string& line : Lines(blocks.front())) {
    const size_t equals = line.find(" = ");
    if (!line.starts_with('#') && !line.starts_with('[') && equals != std::string::npos) {
      keys.push_back(line.substr(0, equals));
    }
  }
  return keys;
}

// Fails, naming the document and the phrase, unless `path` says `phrase`.
void ExpectSays(const std::string& path, const std::string& phrase) {
  EXPECT_NE(ReadSource(path).find(phrase), std::string::npos) << path << " does not say \"" << phrase << "\"";
}

TEST(ConfigurationDocTest, CountsOfKeysAreTheKeyCount) {
  const int keys = static_cast<int>(ConfigKeys().size());
  const int original = static_cast<int>(OriginalGuideKeys().size());
  ASSERT_GT(original, 0) << "no TOML example in the client guide";
  ExpectSays("docs/configuration.md", "All " + NumberWord(keys) + " keys");
  ExpectSays("docs/configuration.md", "the other " + NumberWord(keys - original) + " are extensions");
  ExpectSays("docs/configuration.md", "shows the " + NumberWord(original) + " keys of the original");
  ExpectSays("docs/configuration.md",
             "The " + NumberWord(KeysWithoutDefault(ConfigurationDoc())) + " keys without a default");
  ExpectSays("docs/websocket-client-guide.md", CapitalizedNumberWord(keys - original) + " more keys");
  ExpectSays("docs/design.md", "each of the " + std::to_string(keys) + " known keys");
  ExpectSays("docs/design.md", "a " + std::to_string(keys) + "-row table");
}

// The guide's paragraph about the keys beyond its example names each of them.
TEST(ConfigurationDocTest, TheClientGuideNamesEveryKey) {
  const std::vector<std::string> original = OriginalGuideKeys();
  std::string paragraph;
  for (const std::string& line : Lines(ReadSource("docs/websocket-client-guide.md"))) {
    if (line.find(" more keys ") != std::string::npos) paragraph = line;
  }
  ASSERT_FALSE(paragraph.empty()) << "no paragraph about \"more keys\" in the client guide";
  for (std::string_view key : ConfigKeys()) {
    if (std::find(original.begin(), original.end(), key) != original.end()) continue;
    EXPECT_THAT(paragraph, ::testing::HasSubstr("`" + std::string(key) + "`")) << key;
  }
}

// Every rule ParseConfig checks after the entries are read (plugin/config.cc), each with the configurations
// that break it: one for each text the rule has.
std::vector<std::vector<ConfigEntries>> CrossKeyRules() {
  using Breaking = std::vector<ConfigEntries>;
  return {
      Breaking{ConfigEntries{{"tls_cert_file", "/etc/eventbus.crt"}}},
      Breaking{ConfigEntries{{"auth_jwt_audience", "eventbus"}},
               ConfigEntries{{"auth_jwt_issuer", "https://auth.example.org"}}},
      Breaking{ConfigEntries{{"max_queue_bytes", "65536"}}},
      Breaking{ConfigEntries{{"metrics_addr", "127.0.0.1:8444"}}},
      Breaking{ConfigEntries{{"enable_durable_log", "true"}}},
  };
}

// ParseConfig's checks after the loop over the entries, counted in its source: a new rule must be added to
// CrossKeyRules above, which this keeps from being forgotten.
int CrossKeyChecksInTheSource() {
  const std::string source = ReadSource("plugin/config.cc");
  const size_t parse = source.find("absl::StatusOr<Config> ParseConfig(");
  // The loop over the entries is the body's first block; the body ends at the first unindented brace.
  const size_t after_loop = source.find("\n  }\n", parse);
  const size_t end = source.find("\n}\n", parse);
  EXPECT_TRUE(parse != std::string::npos && after_loop < end) << "ParseConfig not found in plugin/config.cc";
  int checks = 0;
  for (size_t at = source.find("InvalidArgumentError(", after_loop); at < end;
       at = source.find("InvalidArgumentError(", at + 1)) {
    ++checks;
  }
  return checks;
}

TEST(ConfigurationDocTest, EveryRuleRelatingKeysIsDocumented) {
  const std::vector<std::vector<ConfigEntries>> rules = CrossKeyRules();
  ASSERT_EQ(CrossKeyChecksInTheSource(), static_cast<int>(rules.size()))
      << "plugin/config.cc checks another rule relating keys: add it to CrossKeyRules and to the docs";
  const std::vector<std::string> configuration = CodeTexts(ConfigurationDoc());
  const std::vector<std::string> catalog = CodeTexts(ReadSource("docs/error-catalog.md"));
  for (const std::vector<ConfigEntries>& rule : rules) {
    for (const ConfigEntries& breaking : rule) {
      const absl::StatusOr<Config> config = ParseConfig(breaking, [](std::string_view) {});
      ASSERT_FALSE(config.ok()) << breaking.front().first;
      const std::string text(config.status().message());
      const auto documents = [&](const std::vector<std::string>& codes) {
        return std::any_of(codes.begin(), codes.end(),
                           [&](const std::string& code) { return MatchesPlaceholders(code, text); });
      };
      EXPECT_TRUE(documents(configuration)) << "configuration.md does not show: " << text;
      EXPECT_TRUE(documents(catalog)) << "error-catalog.md does not show: " << text;
    }
  }
  const int count = static_cast<int>(rules.size());
  ExpectSays("docs/configuration.md", "**" + CapitalizedNumberWord(count) + " rules relate keys**");
  ExpectSays("docs/error-catalog.md", CapitalizedNumberWord(count) + " checks relate keys");
  ExpectSays("docs/design.md", NumberWord(count) + " cross-key rules");
}

}  // namespace
}  // namespace armorclaw::eventbus
