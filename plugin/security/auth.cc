#include "plugin/security/auth.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <system_error>
#include <unordered_map>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "boost/json/parse.hpp"
#include "boost/json/value.hpp"
#include "common/string_view_compat.h"
#include "openssl/crypto.h"
#include "openssl/evp.h"
#include "openssl/hmac.h"
#include "openssl/sha.h"

namespace armorclaw::eventbus {
namespace {

constexpr std::string_view kTokensKey = "auth_tokens_file";
constexpr std::string_view kSecretKey = "auth_jwt_secret_file";
// Far more than any tokens file or secret; guards against a path such as /dev/zero.
constexpr size_t kMaxFileBytes = 16 << 20;
// Matrix identifiers are at most 255 bytes; the same bound as subscription filters.
constexpr size_t kMaxRoomIdBytes = 255;

absl::Status Unauthenticated(std::string_view message) {
  return absl::UnauthenticatedError(ToAbsl(message));
}

std::string Quoted(std::string_view path) { return absl::StrCat("\"", absl::CEscape(ToAbsl(path)), "\""); }

absl::StatusOr<std::string> ReadFile(std::string_view key, const std::string& path) {
  auto failure = [&](int error) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot read ", ToAbsl(key), " ", Quoted(path), ": ", std::generic_category().message(error)));
  };
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return failure(errno);
  std::string content;
  char buffer[4096];
  while (true) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int error = errno;
      ::close(fd);
      return failure(error);
    }
    if (n == 0) break;
    content.append(buffer, static_cast<size_t>(n));
    if (content.size() > kMaxFileBytes) {
      ::close(fd);
      return absl::InvalidArgumentError(
          absl::StrCat(ToAbsl(key), " ", Quoted(path), " is larger than ", kMaxFileBytes, " bytes"));
    }
  }
  ::close(fd);
  return content;
}

bool IsRoomId(std::string_view text) {
  return !text.empty() && text.front() == '!' && text.size() <= kMaxRoomIdBytes;
}

// Graphic ASCII only: a token is copied into headers and URLs, where anything else gets mangled.
bool IsPrintableToken(std::string_view token) {
  return std::all_of(token.begin(), token.end(), [](char c) { return c > ' ' && c < 0x7f; });
}

void SortUnique(std::vector<std::string>& rooms) {
  std::sort(rooms.begin(), rooms.end());
  rooms.erase(std::unique(rooms.begin(), rooms.end()), rooms.end());
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// A '%' not followed by two hex digits is kept as it is, and so is '+': tokens have no blanks, so a
// '+' can only be part of the token itself.
std::string PercentDecode(std::string_view text) {
  std::string decoded;
  decoded.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && HexValue(text[i + 1]) >= 0 && HexValue(text[i + 2]) >= 0) {
      decoded += static_cast<char>(HexValue(text[i + 1]) * 16 + HexValue(text[i + 2]));
      i += 2;
    } else {
      decoded += text[i];
    }
  }
  return decoded;
}

// base64url without padding (RFC 7515 section 2). The alphabet is checked here because
// WebSafeBase64Unescape also accepts padding and other leniencies.
bool DecodeSegment(std::string_view segment, std::string& out) {
  const bool alphabet = std::all_of(segment.begin(), segment.end(), [](char c) {
    return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
  });
  return alphabet && absl::WebSafeBase64Unescape(ToAbsl(segment), &out);
}

// Only objects, and not deep ones: a JWT's header and claims are flat.
std::optional<boost::json::object> ParseObject(std::string_view text) {
  boost::system::error_code error;
  boost::json::parse_options options;
  options.max_depth = 8;
  boost::json::value value = boost::json::parse(text, error, {}, options);
  if (error || !value.is_object()) return std::nullopt;
  return std::move(value.get_object());
}

std::string_view View(const boost::json::string& text) { return std::string_view(text.data(), text.size()); }

// A NumericDate (RFC 7519 section 2): seconds since the epoch, possibly fractional.
std::optional<absl::Time> NumericDate(const boost::json::value& value) {
  if (value.is_int64()) return absl::FromUnixSeconds(value.get_int64());
  if (value.is_uint64()) return absl::InfiniteFuture();  // Beyond int64 seconds.
  if (value.is_double()) return absl::UnixEpoch() + absl::Seconds(value.get_double());
  return std::nullopt;
}

// RFC 7519 sections 4.1.1 and 4.1.3: aud is a string or an array of strings, and a token naming an
// audience that is not ours is refused even when no audience is configured.
absl::Status CheckAudienceAndIssuer(const boost::json::object& claims, const JwtExpectations& expected) {
  if (const boost::json::value* aud = claims.if_contains("aud")) {
    if (expected.audience.empty()) {
      return Unauthenticated("invalid token: it names an audience (aud) and this server expects none");
    }
    const auto is_ours = [&](const boost::json::value& value) {
      return value.is_string() && View(value.get_string()) == expected.audience;
    };
    const boost::json::array* list = aud->if_array();
    if (!(is_ours(*aud) || (list != nullptr && std::any_of(list->begin(), list->end(), is_ours)))) {
      return Unauthenticated("invalid token: wrong audience (aud)");
    }
  } else if (!expected.audience.empty()) {
    return Unauthenticated("invalid token: the aud claim is missing");
  }
  if (!expected.issuer.empty()) {
    const boost::json::value* iss = claims.if_contains("iss");
    if (iss == nullptr) return Unauthenticated("invalid token: the iss claim is missing");
    if (!iss->is_string() || View(iss->get_string()) != expected.issuer) {
      return Unauthenticated("invalid token: wrong issuer (iss)");
    }
  }
  return absl::OkStatus();
}

// Both fail only when OpenSSL cannot run at all (no memory, a broken provider); callers then refuse.
std::optional<std::string> Hmac(std::string_view key, std::string_view data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac, &size) == nullptr) {
    return std::nullopt;
  }
  return std::string(reinterpret_cast<const char*>(mac), size);
}

bool Sha256(std::string_view data, std::array<unsigned char, 32>& digest) {
  return SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest.data()) != nullptr;
}

}  // namespace

bool Identity::MayReceive(std::string_view room_id) const {
  return !rooms || std::binary_search(rooms->begin(), rooms->end(), room_id);
}

absl::Status CheckSubscriptionRoom(const Identity& identity, const Filter& filter) {
  const bool room_id_allowed = !filter.room_id || identity.MayReceive(*filter.room_id);
  const bool rooms_allowed =
      !filter.rooms || std::all_of(filter.rooms->begin(), filter.rooms->end(),
                                   [&](const std::string& room) { return identity.MayReceive(room); });
  if (room_id_allowed && rooms_allowed) return absl::OkStatus();
  return absl::PermissionDeniedError("this token may not receive events of this room");
}

absl::StatusOr<std::unique_ptr<Authenticator>> Authenticator::Create(const Config& config) {
  return Create(config.auth_tokens_file, config.auth_jwt_secret_file,
                {config.auth_jwt_audience, config.auth_jwt_issuer});
}

absl::StatusOr<std::unique_ptr<Authenticator>> Authenticator::Create(const std::string& tokens_file,
                                                                     const std::string& jwt_secret_file,
                                                                     JwtExpectations jwt_expectations) {
  if (tokens_file.empty() && jwt_secret_file.empty()) return nullptr;
  std::unique_ptr<Authenticator> authenticator(new Authenticator());
  authenticator->jwt_expectations_ = std::move(jwt_expectations);
  if (!tokens_file.empty()) {
    if (absl::Status status = authenticator->LoadTokens(tokens_file); !status.ok()) return status;
  }
  if (!jwt_secret_file.empty()) {
    if (absl::Status status = authenticator->LoadJwtSecret(jwt_secret_file); !status.ok()) return status;
  }
  return authenticator;
}

absl::Status Authenticator::LoadTokens(const std::string& path) {
  auto content = ReadFile(kTokensKey, path);
  if (!content.ok()) return content.status();
  // Never the line's text: it holds a token, or a token mistyped as a room id.
  auto line_error = [&](size_t line, std::string_view why) {
    return absl::InvalidArgumentError(
        absl::StrCat(ToAbsl(kTokensKey), " ", Quoted(path), " line ", line, ": ", ToAbsl(why)));
  };
  // A standard map, not Abseil's: Abseil's hash tables (as Debian ships them) are corrupt after an
  // allocation fails while they grow, and create must survive running out of memory.
  std::unordered_map<std::string, size_t> line_of_digest;
  size_t line = 0;
  for (absl::string_view text : absl::StrSplit(*content, '\n')) {
    ++line;
    text = absl::StripAsciiWhitespace(text);
    if (text.empty() || text.front() == '#') continue;
    std::vector<absl::string_view> fields = absl::StrSplit(text, absl::ByAnyChar(" \t"), absl::SkipEmpty());
    const std::string_view token = ToStd(fields.front());
    if (!IsPrintableToken(token)) {
      return line_error(line, "the token has characters other than printable ASCII");
    }
    if (token.size() < kMinFileTokenBytes) {
      return line_error(line, absl::StrCat("the token is shorter than ", kMinFileTokenBytes, " characters"));
    }
    FileToken entry{{}, line, std::nullopt};
    if (!Sha256(token, entry.digest)) return absl::InternalError("cannot compute SHA-256 (OpenSSL failed)");
    const auto [previous, inserted] =
        line_of_digest.try_emplace(std::string(entry.digest.begin(), entry.digest.end()), line);
    if (!inserted) {
      return line_error(line, absl::StrCat("the token of line ", previous->second,
                                           " again (list each token once, with all its rooms)"));
    }
    if (fields.size() > 1) {
      entry.rooms.emplace();
      for (size_t i = 1; i < fields.size(); ++i) {
        if (!IsRoomId(ToStd(fields[i]))) {
          return line_error(line, absl::StrCat("field ", i + 1, " is not a room id (room ids start with '!' and are",
                                               " at most ", kMaxRoomIdBytes, " bytes)"));
        }
        entry.rooms->emplace_back(fields[i]);
      }
      SortUnique(*entry.rooms);
    }
    file_tokens_.push_back(std::move(entry));
  }
  tokens_configured_ = true;
  return absl::OkStatus();
}

absl::Status Authenticator::LoadJwtSecret(const std::string& path) {
  auto content = ReadFile(kSecretKey, path);
  if (!content.ok()) return content.status();
  std::string secret = *std::move(content);
  // Editors end files with a newline that is not meant to be part of the secret.
  if (absl::EndsWith(secret, "\r\n")) {
    secret.resize(secret.size() - 2);
  } else if (absl::EndsWith(secret, "\n")) {
    secret.pop_back();
  }
  if (secret.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(ToAbsl(kSecretKey), " ", Quoted(path), " is empty"));
  }
  if (secret.size() < kMinJwtSecretBytes) {
    return absl::InvalidArgumentError(absl::StrCat(ToAbsl(kSecretKey), " ", Quoted(path),
                                                   " holds a secret shorter than ", kMinJwtSecretBytes,
                                                   " bytes: HS256 needs at least ", kMinJwtSecretBytes,
                                                   " random bytes"));
  }
  jwt_secret_ = std::move(secret);
  return absl::OkStatus();
}

std::string Authenticator::ExtractToken(std::string_view authorization_header, std::string_view target) {
  // RFC 6750 section 2.1; the scheme name is case-insensitive (RFC 9110 section 11.1).
  constexpr std::string_view kBearer = "bearer";
  if (authorization_header.size() > kBearer.size() &&
      absl::EqualsIgnoreCase(ToAbsl(authorization_header.substr(0, kBearer.size())), ToAbsl(kBearer)) &&
      (authorization_header[kBearer.size()] == ' ' || authorization_header[kBearer.size()] == '\t')) {
    const absl::string_view token = absl::StripAsciiWhitespace(ToAbsl(authorization_header.substr(kBearer.size())));
    if (!token.empty()) return std::string(token);
  }
  const size_t question = target.find('?');
  if (question == std::string_view::npos) return {};
  for (absl::string_view parameter : absl::StrSplit(ToAbsl(target.substr(question + 1)), '&')) {
    if (absl::ConsumePrefix(&parameter, "access_token=")) return PercentDecode(ToStd(parameter));
  }
  return {};
}

const Authenticator::FileToken* Authenticator::FindFileToken(std::string_view token) const {
  Digest digest;
  if (!Sha256(token, digest)) return nullptr;
  // Every entry is compared, in constant time, so that the time taken says nothing about near misses.
  const FileToken* found = nullptr;
  for (const FileToken& entry : file_tokens_) {
    if (CRYPTO_memcmp(entry.digest.data(), digest.data(), digest.size()) == 0) found = &entry;
  }
  return found;
}

absl::StatusOr<Identity> Authenticator::Authenticate(std::string_view token, absl::Time now) const {
  if (token.empty()) return Unauthenticated("missing token");
  if (tokens_configured_) {
    if (const FileToken* entry = FindFileToken(token)) {
      return Identity{absl::StrCat("token #", entry->line), entry->rooms, absl::InfiniteFuture()};
    }
  }
  if (!jwt_secret_.empty() && std::count(token.begin(), token.end(), '.') == 2) {
    return AuthenticateJwt(token, now);
  }
  return Unauthenticated("invalid token");
}

// RFC 7519 with the JWS compact serialization of RFC 7515, HS256 only. The header is read before the
// signature is checked (it says how to check it); the claims only after. typ, kid and claims other
// than exp, nbf, aud, iss, sub and rooms are not looked at: the secret should serve the event bus alone.
absl::StatusOr<Identity> Authenticator::AuthenticateJwt(std::string_view token, absl::Time now) const {
  const size_t first_dot = token.find('.');
  const size_t second_dot = token.find('.', first_dot + 1);
  std::string header_json, claims_json, signature;
  if (!DecodeSegment(token.substr(0, first_dot), header_json) ||
      !DecodeSegment(token.substr(first_dot + 1, second_dot - first_dot - 1), claims_json) ||
      !DecodeSegment(token.substr(second_dot + 1), signature)) {
    return Unauthenticated("invalid token: malformed JWT");
  }
  const std::optional<boost::json::object> header = ParseObject(header_json);
  if (!header) return Unauthenticated("invalid token: malformed JWT header");
  // Pinned, not read from the token: "none" or an asymmetric alg would let the token choose its check.
  const boost::json::value* alg = header->if_contains("alg");
  if (alg == nullptr || !alg->is_string() || alg->get_string() != "HS256") {
    return Unauthenticated("invalid token: unsupported JWT alg (only HS256 is accepted)");
  }
  // RFC 7515 section 4.1.11: extensions we do not understand must not be ignored.
  if (header->contains("crit")) return Unauthenticated("invalid token: unsupported JWT header crit");

  const std::optional<std::string> expected = Hmac(jwt_secret_, token.substr(0, second_dot));
  if (!expected) return absl::InternalError("cannot compute HMAC-SHA256 (OpenSSL failed)");
  if (signature.size() != expected->size() ||
      CRYPTO_memcmp(signature.data(), expected->data(), expected->size()) != 0) {
    return Unauthenticated("invalid token: bad signature");
  }

  const std::optional<boost::json::object> claims = ParseObject(claims_json);
  if (!claims) return Unauthenticated("invalid token: malformed JWT claims");
  const boost::json::value* exp_claim = claims->if_contains("exp");
  const std::optional<absl::Time> exp = exp_claim == nullptr ? std::nullopt : NumericDate(*exp_claim);
  if (!exp) return Unauthenticated("invalid token: the exp claim is missing or not a number");
  if (now >= *exp + kJwtClockLeeway) return Unauthenticated("token expired");
  if (const boost::json::value* nbf_claim = claims->if_contains("nbf")) {
    const std::optional<absl::Time> nbf = NumericDate(*nbf_claim);
    if (!nbf) return Unauthenticated("invalid token: the nbf claim is not a number");
    if (now < *nbf - kJwtClockLeeway) return Unauthenticated("token not yet valid");
  }

  if (absl::Status status = CheckAudienceAndIssuer(*claims, jwt_expectations_); !status.ok()) return status;

  Identity identity{"jwt", std::nullopt, *exp + kJwtClockLeeway};
  if (const boost::json::value* sub = claims->if_contains("sub")) {
    if (!sub->is_string()) return Unauthenticated("invalid token: the sub claim is not a string");
    if (!sub->get_string().empty()) identity.subject = absl::CEscape(ToAbsl(View(sub->get_string())));
  }
  if (const boost::json::value* rooms_claim = claims->if_contains("rooms")) {
    constexpr std::string_view kBadRooms = "invalid token: the rooms claim must be a non-empty array of room ids";
    const boost::json::array* rooms = rooms_claim->if_array();
    // An empty list restricts to nothing; refused rather than read as "every room".
    if (rooms == nullptr || rooms->empty()) return Unauthenticated(kBadRooms);
    identity.rooms.emplace();
    for (const boost::json::value& room : *rooms) {
      if (!room.is_string() || !IsRoomId(View(room.get_string()))) return Unauthenticated(kBadRooms);
      identity.rooms->emplace_back(room.get_string());
    }
    SortUnique(*identity.rooms);
  }
  return identity;
}

std::string Authenticator::Describe() const {
  std::vector<std::string> methods;
  if (tokens_configured_) {
    methods.push_back(absl::StrCat(file_tokens_.size(), file_tokens_.size() == 1 ? " token" : " tokens", " from ",
                                   ToAbsl(kTokensKey)));
  }
  if (!jwt_secret_.empty()) methods.push_back(absl::StrCat("HS256 JWTs (", ToAbsl(kSecretKey), ")"));
  return absl::StrJoin(methods, ", ");
}

}  // namespace armorclaw::eventbus
