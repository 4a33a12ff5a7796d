#include "tests/docs/doc_text.h"

#include <array>
#include <cctype>
#include <fstream>
#include <sstream>

#include "gtest/gtest.h"

namespace armorclaw::eventbus::docs {

std::string ReadSource(const std::string& path) {
  std::ifstream file(ARMORCLAW_EVENTBUS_SOURCE_DIR "/" + path);
  EXPECT_TRUE(file) << "cannot read " << path;
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream stream(text);
  for (std::string line; std::getline(stream, line);) lines.push_back(line);
  return lines;
}

std::vector<std::string> CodeTexts(const std::string& doc) {
  std::vector<std::string> texts;
  bool fenced = false;
  for (const std::string& line : Lines(doc)) {
    // A fence may be indented, inside a list item.
    const size_t indent = line.find_first_not_of(' ');
    if (indent != std::string::npos && line.compare(indent, 3, "```") == 0) {
      fenced = !fenced;
      continue;
    }
    if (fenced) {
      texts.push_back(indent == std::string::npos ? "" : line.substr(indent));
      continue;
    }
    for (size_t open = line.find('`'); open != std::string::npos;) {
      const size_t close = line.find('`', open + 1);
      if (close == std::string::npos) break;
      texts.push_back(line.substr(open + 1, close - open - 1));
      open = line.find('`', close + 1);
    }
  }
  return texts;
}

std::string Section(const std::string& doc, std::string_view heading) {
  std::string section;
  bool inside = false;
  for (const std::string& line : Lines(doc)) {
    if (line.starts_with('#')) {
      if (inside) break;
      inside = line == heading;
    }
    if (inside) section += line + "\n";
  }
  EXPECT_FALSE(section.empty()) << "no section " << heading;
  return section;
}

bool MatchesPlaceholders(std::string_view pattern, std::string_view text) {
  std::vector<std::string_view> literals;  // The text around the placeholders: one more than there are.
  while (true) {
    const size_t open = pattern.find('<');
    const size_t close = open == std::string_view::npos ? open : pattern.find('>', open);
    if (close == std::string_view::npos) {
      literals.push_back(pattern);
      break;
    }
    literals.push_back(pattern.substr(0, open));
    pattern.remove_prefix(close + 1);
  }
  if (literals.size() == 1) return text == literals.front();
  if (!text.starts_with(literals.front())) return false;
  // Leftmost matching is enough for error texts, whose literal pieces do not recur inside a value.
  size_t at = literals.front().size();
  for (size_t i = 1; i + 1 < literals.size(); ++i) {
    const size_t found = text.find(literals[i], at + 1);
    if (found == std::string_view::npos) return false;
    at = found + literals[i].size();
  }
  return text.size() >= at + 1 + literals.back().size() && text.ends_with(literals.back());
}

std::string NumberWord(int number) {
  static constexpr std::array<std::string_view, 20> kUnits = {
      "zero",    "one",     "two",       "three",    "four",    "five",    "six",
      "seven",   "eight",   "nine",      "ten",      "eleven",  "twelve",  "thirteen",
      "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"};
  static constexpr std::array<std::string_view, 10> kTens = {"",      "",      "twenty",  "thirty", "forty",
                                                             "fifty", "sixty", "seventy", "eighty", "ninety"};
  EXPECT_TRUE(number >= 0 && number < 100) << number;
  if (number < 20) return std::string(kUnits[number]);
  std::string word(kTens[number / 10]);
  if (number % 10 != 0) word += "-" + std::string(kUnits[number % 10]);
  return word;
}

std::string CapitalizedNumberWord(int number) {
  std::string word = NumberWord(number);
  word[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(word[0])));
  return word;
}

}  // namespace armorclaw::eventbus::docs
