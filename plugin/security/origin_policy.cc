#include "plugin/security/origin_policy.h"

#include <algorithm>
#include <cstdint>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "boost/json/parse.hpp"
#include "boost/json/value.hpp"
#include "common/string_view_compat.h"

namespace armorclaw::eventbus {
namespace {

absl::Status Bad(std::string_view why) { return absl::InvalidArgumentError(ToAbsl(why)); }

bool IsHostNameChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_';
}

bool IsIpv6Char(char c) {
  return absl::ascii_isxdigit(static_cast<unsigned char>(c)) || c == ':' || c == '.';
}

// "scheme://host[:port]" with scheme and host lower-cased and a default port dropped. InvalidArgument,
// saying what is wrong, for anything that is not an http or https origin (a path, even "/", included).
absl::StatusOr<std::string> NormalizeOrigin(std::string_view origin) {
  const size_t separator = origin.find("://");
  if (separator == std::string_view::npos) return Bad("not scheme://host[:port]");
  const std::string scheme = absl::AsciiStrToLower(ToAbsl(origin.substr(0, separator)));
  if (scheme != "http" && scheme != "https") return Bad("the scheme must be http or https");
  std::string_view rest = origin.substr(separator + 3);
  if (rest.find_first_of("/?#") != std::string_view::npos) {
    return Bad("an origin has no path, query or fragment, not even a trailing '/'");
  }
  if (rest.find('@') != std::string_view::npos) return Bad("an origin has no user name or password");

  std::string_view host = rest;
  std::string_view port;
  if (!rest.empty() && rest.front() == '[') {
    const size_t close = rest.find(']');
    if (close == std::string_view::npos) return Bad("unterminated IPv6 address");
    host = rest.substr(0, close + 1);
    const std::string_view after = rest.substr(close + 1);
    if (!after.empty() && after.front() != ':') return Bad("unexpected text after the IPv6 address");
    if (!after.empty()) port = after.substr(1);
    const std::string_view address = host.substr(1, host.size() - 2);
    if (address.empty() || !std::all_of(address.begin(), address.end(), IsIpv6Char)) {
      return Bad("invalid IPv6 address");
    }
  } else {
    const size_t colon = rest.find(':');
    if (colon != std::string_view::npos) {
      host = rest.substr(0, colon);
      port = rest.substr(colon + 1);
    }
    if (host.empty()) return Bad("the host is missing");
    if (!std::all_of(host.begin(), host.end(), IsHostNameChar)) {
      return Bad("the host may have only letters, digits, '-', '_' and '.' (use punycode for other names)");
    }
  }

  std::string normalized = absl::StrCat(scheme, "://", absl::AsciiStrToLower(ToAbsl(host)));
  if (host.size() != rest.size()) {
    uint32_t number = 0;
    if (port.empty() || port.size() > 5 || !std::all_of(port.begin(), port.end(), absl::ascii_isdigit) ||
        !absl::SimpleAtoi(ToAbsl(port), &number) || number == 0 || number > 65535) {
      return Bad("the port must be a number from 1 to 65535");
    }
    // Browsers leave out the scheme's default port, so "https://a:443" in the config must match "https://a".
    if (!(scheme == "http" && number == 80) && !(scheme == "https" && number == 443)) {
      absl::StrAppend(&normalized, ":", number);
    }
  }
  return normalized;
}

}  // namespace

absl::StatusOr<OriginPolicy> OriginPolicy::Parse(std::string_view json) {
  boost::system::error_code error;
  const boost::json::value value = boost::json::parse(json, error);
  const boost::json::array* array = error ? nullptr : value.if_array();
  if (array == nullptr) return Bad("not a JSON array");
  std::vector<std::string> allowed;
  allowed.reserve(array->size());
  for (size_t i = 0; i < array->size(); ++i) {
    const boost::json::value& entry = (*array)[i];
    if (!entry.is_string()) return Bad(absl::StrCat("entry ", i + 1, " is not a string"));
    const std::string_view text(entry.get_string().data(), entry.get_string().size());
    auto origin = NormalizeOrigin(text);
    if (!origin.ok()) {
      return Bad(absl::StrCat("entry ", i + 1, " \"", absl::CEscape(ToAbsl(text)), "\": ", origin.status().message()));
    }
    allowed.push_back(*std::move(origin));
  }
  std::sort(allowed.begin(), allowed.end());
  allowed.erase(std::unique(allowed.begin(), allowed.end()), allowed.end());
  return OriginPolicy(std::move(allowed));
}

bool OriginPolicy::Allows(std::string_view origin) const {
  if (!allowed_ || origin.empty()) return true;
  // Includes "null", which browsers send from sandboxed frames and file: pages.
  auto normalized = NormalizeOrigin(origin);
  return normalized.ok() && std::binary_search(allowed_->begin(), allowed_->end(), *normalized);
}

}  // namespace armorclaw::eventbus
