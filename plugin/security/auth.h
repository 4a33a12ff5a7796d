// Client authentication for the WebSocket upgrade: static tokens from auth_tokens_file and HS256 JWTs
// signed with the secret of auth_jwt_secret_file. Either, both or neither may be configured; with
// neither, authentication is off and there is no Authenticator.
//
// Tokens are secrets: no message built here contains one, nor any part of the files that hold them.
#ifndef ARMORCLAW_EVENTBUS_PLUGIN_SECURITY_AUTH_H_
#define ARMORCLAW_EVENTBUS_PLUGIN_SECURITY_AUTH_H_

#include <array>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "plugin/config.h"
#include "plugin/filter.h"

namespace armorclaw::eventbus {

// Who a client is, once its token is accepted.
struct Identity {
  // For logs: "token #N" for the token on line N of auth_tokens_file, "jwt" for a JWT without a sub
  // claim, else the sub claim C-escaped (it is the issuer's text, not ours).
  std::string subject;
  // The rooms whose events the client may receive, sorted and unique; nullopt: every room.
  std::optional<std::vector<std::string>> rooms;
  // When the token stops being valid (a JWT's exp); a file token never expires.
  absl::Time expires = absl::InfiniteFuture();

  bool MayReceive(std::string_view room_id) const;
};

// Whether `identity` may subscribe with `filter`: PermissionDenied, with a message for the client, when
// the filter names a room (its room_id or an entry of its rooms) that is not one of the identity's
// rooms. A filter that names no room (Filter::NamesRooms; not_rooms does not count) is allowed; its
// events must then be restricted to the identity's rooms (Filter::allowed_rooms).
absl::Status CheckSubscriptionRoom(const Identity& identity, const Filter& filter);

// A JWT's exp and nbf are honoured this much late or early, for clocks that differ between the issuer
// and the bridge.
inline constexpr absl::Duration kJwtClockLeeway = absl::Seconds(30);
// Shorter file tokens are refused: a short secret can be guessed over the network.
inline constexpr size_t kMinFileTokenBytes = 16;
// HS256 is only as strong as its key: RFC 7518 section 3.2 asks for at least the hash size.
inline constexpr size_t kMinJwtSecretBytes = 32;

// Whom a JWT must be for and who must have issued it (auth_jwt_audience, auth_jwt_issuer). Empty: not
// required. A token whose aud claim names anyone while no audience is configured is refused all the same
// (RFC 7519 section 4.1.3): it was minted for some other service.
struct JwtExpectations {
  std::string audience;  // aud must equal it, or be an array holding it.
  std::string issuer;    // iss must equal it.
};

class Authenticator {
 public:
  // Loads the configured files; an empty path means that key is not configured. Returns nullptr when
  // neither is (authentication off). Errors are InvalidArgument and name the key and the file, never
  // what the file holds.
  static absl::StatusOr<std::unique_ptr<Authenticator>> Create(const std::string& tokens_file,
                                                               const std::string& jwt_secret_file,
                                                               JwtExpectations jwt_expectations = {});
  // The same from the auth_* keys of `config`.
  static absl::StatusOr<std::unique_ptr<Authenticator>> Create(const Config& config);

  // The token a request presents: "Authorization: Bearer TOKEN", else the access_token query parameter
  // of `target` (percent-decoded), for browsers, whose WebSocket API cannot set headers. Empty if none.
  static std::string ExtractToken(std::string_view authorization_header, std::string_view target);

  // Accepts `token` if the tokens file lists it or it is a valid JWT at `now`. Refusals are
  // Unauthenticated with a message fit for the client: "missing token", "invalid token" (possibly with
  // ": <why>"), "token expired", "token not yet valid". Internal only if OpenSSL itself fails.
  absl::StatusOr<Identity> Authenticate(std::string_view token, absl::Time now) const;

  // For the startup log: which methods are on, e.g. "3 tokens from auth_tokens_file, HS256 JWTs".
  std::string Describe() const;

 private:
  using Digest = std::array<unsigned char, 32>;
  struct FileToken {
    Digest digest;  // SHA-256 of the token, compared in constant time; the token itself is not kept.
    size_t line;
    std::optional<std::vector<std::string>> rooms;
  };

  Authenticator() = default;

  absl::Status LoadTokens(const std::string& path);
  absl::Status LoadJwtSecret(const std::string& path);
  const FileToken* FindFileToken(std::string_view token) const;
  absl::StatusOr<Identity> AuthenticateJwt(std::string_view token, absl::Time now) const;

  bool tokens_configured_ = false;
  std::vector<FileToken> file_tokens_;
  std::string jwt_secret_;  // Empty: JWTs are not configured.
  JwtExpectations jwt_expectations_;
};

}  // namespace armorclaw::eventbus

#endif  // ARMORCLAW_EVENTBUS_PLUGIN_SECURITY_AUTH_H_
