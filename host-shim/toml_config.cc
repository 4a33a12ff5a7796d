#include "host-shim/toml_config.h"

#include <fcntl.h>
#include <toml++/toml.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <sstream>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/string_view_compat.h"
#include "common/unique_fd.h"

namespace armorclaw::host {
namespace {

std::string JsonQuote(std::string_view text) {
  std::string quoted = "\"";
  for (const char c : text) {
    switch (c) {
      case '"': quoted += "\\\""; break;
      case '\\': quoted += "\\\\"; break;
      case '\b': quoted += "\\b"; break;
      case '\f': quoted += "\\f"; break;
      case '\n': quoted += "\\n"; break;
      case '\r': quoted += "\\r"; break;
      case '\t': quoted += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
          absl::StrAppendFormat(&quoted, "\\u%04x", static_cast<unsigned char>(c));
        } else {
          quoted += c;  // UTF-8 passes through: TOML guarantees it is valid.
        }
    }
  }
  quoted += '"';
  return quoted;
}

// Shortest text that reads back as the same double, keeping a "." so that 2.0 does not turn into
// the integer-looking "2".
std::string FloatText(double value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value < 0 ? "-inf" : "inf";
  char buffer[64];
  const auto [end, ec] = std::to_chars(buffer, buffer + sizeof(buffer), value);
  std::string text(buffer, ec == std::errc() ? end : buffer);
  if (text.find_first_of(".e") == std::string::npos) text += ".0";
  return text;
}

template <typename T>
std::string Streamed(const T& value) {
  std::ostringstream out;
  out << value;
  return out.str();
}

// The members of `table` in the order the file wrote them. A toml::table is a sorted map, but the plugin
// validates entries in the order it is given them and reports the first bad one, which must be the first
// one in the file.
std::vector<std::pair<const toml::key*, const toml::node*>> InFileOrder(const toml::table& table) {
  std::vector<std::pair<const toml::key*, const toml::node*>> members;
  for (const auto& [key, node] : table) members.emplace_back(&key, &node);
  std::stable_sort(members.begin(), members.end(), [](const auto& a, const auto& b) {
    return a.first->source().begin < b.first->source().begin;
  });
  return members;
}

std::string JsonText(const toml::node& node);

std::string JsonArray(const toml::array& array) {
  std::string json = "[";
  for (const toml::node& element : array) {
    if (json.size() > 1) json += ',';
    json += JsonText(element);
  }
  json += ']';
  return json;
}

std::string JsonObject(const toml::table& table) {
  std::string json = "{";
  for (const auto& [key, value] : InFileOrder(table)) {
    if (json.size() > 1) json += ',';
    absl::StrAppend(&json, JsonQuote(key->str()), ":", JsonText(*value));
  }
  json += '}';
  return json;
}

// A value inside an array, where JSON types apply: text that JSON cannot express as a number or
// literal (dates, times, non-finite floats) becomes a string.
std::string JsonText(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::string: return JsonQuote(node.as_string()->get());
    case toml::node_type::integer: return absl::StrCat(node.as_integer()->get());
    case toml::node_type::floating_point: {
      const double value = node.as_floating_point()->get();
      return std::isfinite(value) ? FloatText(value) : JsonQuote(FloatText(value));
    }
    case toml::node_type::boolean: return node.as_boolean()->get() ? "true" : "false";
    case toml::node_type::date: return JsonQuote(Streamed(node.as_date()->get()));
    case toml::node_type::time: return JsonQuote(Streamed(node.as_time()->get()));
    case toml::node_type::date_time: return JsonQuote(Streamed(node.as_date_time()->get()));
    case toml::node_type::array: return JsonArray(*node.as_array());
    case toml::node_type::table: return JsonObject(*node.as_table());
    case toml::node_type::none: break;
  }
  return "null";
}

// A value at the top of the table (or of a sub-table), where the plugin wants plain text.
void Flatten(const toml::table& table, const std::string& prefix, ConfigEntries& out) {
  for (const auto& [key, member] : InFileOrder(table)) {
    const toml::node& node = *member;
    std::string name = absl::StrCat(prefix, ToAbsl(key->str()));
    switch (node.type()) {
      case toml::node_type::string:
        out.emplace_back(std::move(name), node.as_string()->get());
        break;
      case toml::node_type::floating_point:
        out.emplace_back(std::move(name), FloatText(node.as_floating_point()->get()));
        break;
      case toml::node_type::date:
        out.emplace_back(std::move(name), Streamed(node.as_date()->get()));
        break;
      case toml::node_type::time:
        out.emplace_back(std::move(name), Streamed(node.as_time()->get()));
        break;
      case toml::node_type::date_time:
        out.emplace_back(std::move(name), Streamed(node.as_date_time()->get()));
        break;
      case toml::node_type::table: Flatten(*node.as_table(), name + ".", out); break;
      default:  // Integers, booleans and arrays read the same as in JSON.
        out.emplace_back(std::move(name), JsonText(node));
    }
  }
}

}  // namespace

absl::StatusOr<ConfigEntries> ParseEventbusTable(std::string_view toml_text,
                                                 std::string_view source_name) {
  toml::table document;
  try {
    document = toml::parse(toml_text, source_name);
  } catch (const toml::parse_error& error) {
    return absl::InvalidArgumentError(
        absl::StrCat(ToAbsl(source_name), ":", error.source().begin.line, ":",
                     error.source().begin.column, ": ", ToAbsl(error.description())));
  }
  const toml::node* eventbus = document.get("eventbus");
  ConfigEntries entries;
  if (eventbus == nullptr) return entries;
  if (!eventbus->is_table()) {
    return absl::InvalidArgumentError(
        absl::StrCat(ToAbsl(source_name), ":", eventbus->source().begin.line, ": `eventbus` is a ",
                     Streamed(eventbus->type()), ", not a table"));
  }
  Flatten(*eventbus->as_table(), "", entries);
  return entries;
}

absl::StatusOr<ConfigEntries> LoadEventbusTable(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return absl::ErrnoToStatus(errno, absl::StrCat("cannot open ", path));
  std::string text;
  char buffer[64 * 1024];
  while (true) {
    const ssize_t n = ::read(fd.get(), buffer, sizeof(buffer));
    if (n < 0) {
      if (errno == EINTR) continue;
      return absl::ErrnoToStatus(errno, absl::StrCat("cannot read ", path));
    }
    if (n == 0) break;
    text.append(buffer, static_cast<size_t>(n));
  }
  return ParseEventbusTable(text, path);
}

}  // namespace armorclaw::host
