#include "plugin/net/upgrade_request.h"

#include <string>

#include "absl/strings/escaping.h"
#include "common/string_view_compat.h"

namespace armorclaw::eventbus {

std::string_view TargetPath(std::string_view target) {
  std::string_view path = target.substr(0, target.find('?'));
  if (path.empty() || path.front() == '/') return path;
  // Absolute form: scheme "://" authority, then the path.
  const size_t authority = path.find("://");
  if (authority == std::string_view::npos) return path;
  const size_t slash = path.find('/', authority + 3);
  return slash == std::string_view::npos ? std::string_view("/") : path.substr(slash);
}

bool HasValidWebSocketKey(const boost::beast::http::fields& fields) {
  namespace http = boost::beast::http;
  if (fields.count(http::field::sec_websocket_key) != 1) return false;
  const std::string_view key = fields[http::field::sec_websocket_key];
  // 16 bytes are 24 base64 characters, the last two "=" padding.
  constexpr size_t kEncodedSize = 24;
  std::string decoded;
  return key.size() == kEncodedSize && absl::Base64Unescape(ToAbsl(key), &decoded) && decoded.size() == 16;
}

}  // namespace armorclaw::eventbus
