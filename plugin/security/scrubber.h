// PII scrubbing of a Matrix event's content, once per event at ingest, before any subscriber sees it.
// Matching uses RE2, whose running time is linear in the text, never std::regex: a backtracking engine
// can stall or overflow the stack on crafted input inside the bridge.
//
// What is replaced, and with what (the same tokens as the bridge):
//   e-mail address                         [REDACTED_EMAIL]
//   phone number                           [REDACTED_PHONE]
//   payment card number, Luhn-valid        [REDACTED_CREDIT_CARD]
//   US SSN, ddd-dd-dddd                    [REDACTED_SSN]
//   IPv4 (octets 0-255) or IPv6 address    [REDACTED_IP]
//   JWT, wherever it is                    [REDACTED_JWT], so "Bearer <JWT>" becomes "Bearer [REDACTED_JWT]"
//   GitHub token (ghp_ gho_ ghu_ ghs_ ghr_ github_pat_, then 20 or more characters)
//                                          [REDACTED_GITHUB_TOKEN]
//   AWS access key id (AKIA/ASIA + 16)     [REDACTED_AWS_KEY]
//   sk_/pk_ API key                        [REDACTED_API_KEY]
//   value of password=, token=, secret=    password=[REDACTED] (the key and separator are kept)
//
// The key of a key=value is case-insensitive, may end in the word (access_token, client_secret,
// X-Auth-Token) and takes "=" or ":"; a quoted value runs to its closing quote, a bare one to white space,
// a quote or "<", so the rest of a query string goes with it.
//
// A value that is exactly one Matrix identifier by its full grammar is left whole, whatever a rule would see
// in it (@4111111111111111:example.org, !room:10.0.0.1): an mxc://<server-name>/<media-id> URI (media id of
// A-Z a-z 0-9 _ -), a user id @<localpart>:<server-name> (localpart of a-z 0-9 . _ = - / +), a room id
// !<opaque>:<server-name>, a room alias #<opaque>:<server-name>, an event id $<opaque>:<server-name>, and
// the sigil-and-43-base64-characters event ids (room versions 3+) and room ids (version 12). A server name
// is a DNS name, an IPv4 address or a bracketed IPv6 address, with an optional port; <opaque> is
// A-Z a-z 0-9 . _ ~ = / + -, so neither an e-mail nor a mention fits in one. At most 255 bytes, the spec's
// limit. The grammar is matched in full (RE2), never by prefix or by place: "mxc://x/y then bob@x.org" and
// "@alice:example.org and bob@example.com" are text and are scrubbed, and so is everything under
// m.relates_to except the ids themselves (a reaction's key is what the user typed). Historical user ids
// with other characters (capitals, "@") are scrubbed as text; the rules below leave ordinary ones alone.
//
// Within text, identifiers are not PII and must survive, so every rule is written against their shapes:
//   - An e-mail needs a local part before "@" and a dotted domain after it: a Matrix user id
//     (@alice:example.org) has neither.
//   - A phone number needs a "+" country code (8 to 15 digits in all, separators allowed) or the
//     North American grouping with separators, (415) 555-2671 / 415-555-2671 / 415.555.2671. A bare run
//     of digits is never a phone number: it is far more often a timestamp (1432735824653) or an id.
//     Other national formats without "+" are therefore not caught.
//   - A card number is 13 to 19 digits, either contiguous or in groups of 3 to 6 digits split by single
//     spaces or dashes; it starts with 2 to 6 (the payment networks: Mastercard 2-series, Amex, Diners,
//     JCB, Visa, Mastercard, Discover, UnionPay) and passes the Luhn check. The first-digit rule keeps out
//     millisecond, microsecond and nanosecond timestamps, which start with 1 until 2033.
//   - IPv4 needs four dotted octets without leading zeros; a longer dotted run (1.2.3.4.5) is not an
//     address, and version strings (1.2.3, v2.10.4, v1.2.3.4) are not either. A bare four-part number
//     such as 1.2.3.4 is indistinguishable from an address and is scrubbed.
//   - IPv6 needs eight groups, or "::" with a decimal digit and a run of at least three hex digits, so
//     "std::vector", "a::b" and slices such as x[1::2] survive (and so do ::1 and ::, which are not
//     anyone's address); times (12:34:56) and MAC addresses have neither.
//   - A number glued to a letter, or joined by "." or "," to more digits (a decimal fraction), is part of a
//     larger token and is not a card, SSN, phone or IP: event ids ($143273582443PhrSn:example.org) and
//     hex hashes keep their digits. So is a value written against another value or a replacement token:
//     in x@host.io1.2.3.4 only the e-mail goes.
//   - sk_/pk_ keys need 16 characters after the prefix including a digit or a capital, so snake_case
//     names such as pk_customer_order_items survive.
//   - password/token/secret values are kept when the key is part of a Matrix identifier
//     (@token:example.org, #secret:example.org).
//
// Scrubbing is idempotent: replacement tokens match no rule, and text touching a token counts as glued to
// it, as it was to the value the token replaced, so a second pass finds nothing the first one left.
#ifndef ARMORCLAW_EVENTBUS_PLUGIN_SECURITY_SCRUBBER_H_
#define ARMORCLAW_EVENTBUS_PLUGIN_SECURITY_SCRUBBER_H_

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "boost/json/fwd.hpp"

namespace armorclaw::eventbus {

// Built once per plugin; const and thread-safe, so that publishers on any thread share it.
class Scrubber {
 public:
  // Compiles the patterns. Fails with Internal only if the RE2 library rejects one, which is a defect,
  // but the host process is not taken down for it.
  static absl::StatusOr<Scrubber> Create();

  Scrubber(Scrubber&&) noexcept;
  Scrubber& operator=(Scrubber&&) noexcept;
  ~Scrubber();

  // Scrubs one string; returns true when anything was replaced. A string that is one Matrix identifier or
  // mxc:// URI is left alone.
  bool ScrubString(std::string& text) const;

  // Scrubs the string values of event["content"], event["unsigned"]["prev_content"] and
  // event["unsigned"]["redacted_because"]["content"], through nested objects and arrays (m.relates_to
  // included), in place, as ScrubString does. Keys are never changed. Returns the number of strings changed.
  size_t ScrubEvent(boost::json::object& event) const;

 private:
  struct Patterns;

  explicit Scrubber(std::unique_ptr<const Patterns> patterns);

  // Writes the scrubbed `text` to `out` and returns true when anything was replaced; otherwise returns
  // false and leaves `out` unspecified, so that unchanged strings cost no copy.
  bool Scrub(std::string_view text, std::string& out) const;

  std::unique_ptr<const Patterns> patterns_;
};

}  // namespace armorclaw::eventbus

#endif  // ARMORCLAW_EVENTBUS_PLUGIN_SECURITY_SCRUBBER_H_
