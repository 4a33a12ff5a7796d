// Reading the documentation as data, for the tests that hold it to the code: files of the source tree,
// their lines and code spans, texts with <placeholders>, and counts written out as words.
#ifndef ARMORCLAW_EVENTBUS_TESTS_DOCS_DOC_TEXT_H_
#define ARMORCLAW_EVENTBUS_TESTS_DOCS_DOC_TEXT_H_

#include <string>
#include <string_view>
#include <vector>

namespace armorclaw::eventbus::docs {

// A file of the source tree, by its path from the top; empty (and a test failure) when it cannot be read.
std::string ReadSource(const std::string& path);

std::vector<std::string> Lines(const std::string& text);

// Every `inline code` span and every line of every fenced block, in order.
std::vector<std::string> CodeTexts(const std::string& doc);

// The lines from the heading `heading` (exactly, e.g. "## Keys") up to the next heading of any level.
std::string Section(const std::string& doc, std::string_view heading);

// Whether `text` is `pattern`, each "<name>" of which stands for any non-empty text.
bool MatchesPlaceholders(std::string_view pattern, std::string_view text);

// 0 to 99 in English words as a sentence would write them: "seven", "twenty-three".
std::string NumberWord(int number);
// The same, capitalized to start a sentence: "Eighteen".
std::string CapitalizedNumberWord(int number);

}  // namespace armorclaw::eventbus::docs

#endif  // ARMORCLAW_EVENTBUS_TESTS_DOCS_DOC_TEXT_H_
