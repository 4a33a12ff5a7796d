#include "plugin/security/scrubber.h"

#include <dlfcn.h>

#include <algorithm>
#include <array>
#include <memory>
#include <numeric>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "boost/json/array.hpp"
#include "boost/json/object.hpp"
#include "boost/json/string.hpp"
#include "boost/json/value.hpp"
#include "common/string_view_compat.h"
#include "re2/re2.h"
#include "re2/set.h"

namespace armorclaw::eventbus {
namespace {

constexpr std::string_view kRedacted = "[REDACTED]";
constexpr std::string_view kEmailToken = "[REDACTED_EMAIL]";
constexpr std::string_view kPhoneToken = "[REDACTED_PHONE]";
constexpr std::string_view kCardToken = "[REDACTED_CREDIT_CARD]";
constexpr std::string_view kSsnToken = "[REDACTED_SSN]";
constexpr std::string_view kIpToken = "[REDACTED_IP]";
constexpr std::string_view kJwtToken = "[REDACTED_JWT]";
constexpr std::string_view kGithubToken = "[REDACTED_GITHUB_TOKEN]";
constexpr std::string_view kAwsToken = "[REDACTED_AWS_KEY]";
constexpr std::string_view kApiKeyToken = "[REDACTED_API_KEY]";
constexpr std::array<std::string_view, 10> kTokens = {kRedacted, kEmailToken,  kPhoneToken,  kCardToken,
                                                      kSsnToken, kIpToken,     kJwtToken,    kGithubToken,
                                                      kAwsToken, kApiKeyToken};

boost::json::object* AsObject(boost::json::value* value) { return value == nullptr ? nullptr : value->if_object(); }
// Sigils of Matrix identifiers (user, room, alias, event, group), whose localparts may spell "token".
constexpr std::string_view kMatrixSigils = "@!#$+";

constexpr size_t kMinCardDigits = 13;
constexpr size_t kMaxCardDigits = 19;
constexpr size_t kMinCardGroupDigits = 3;
constexpr size_t kMaxCardGroupDigits = 6;
// E.164 allows 15 digits; fewer than 8 with a country code is not a reachable number.
constexpr size_t kMinPhoneDigits = 8;
constexpr size_t kMaxPhoneDigits = 15;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsUpper(char c) { return c >= 'A' && c <= 'Z'; }
bool IsHexDigit(char c) { return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
// As RE2's \w: ASCII only, so that text in other scripts does not hide a number written against it.
bool IsWord(char c) { return IsDigit(c) || IsUpper(c) || (c >= 'a' && c <= 'z') || c == '_'; }

bool IsToken(std::string_view text) { return std::find(kTokens.begin(), kTokens.end(), text) != kTokens.end(); }

// Whether a replacement token ends just before `pos` or starts at `pos`. Text touching a token is treated
// as glued to it, that is as part of whatever the token replaced: scrubbing then never finds a value that
// an earlier replacement uncovered (an address written against an e-mail's domain, a second number run
// into the first), which is what keeps it idempotent in one pass.
bool TokenEndsAt(std::string_view text, size_t pos) {
  const std::string_view before = text.substr(0, pos);
  return before.ends_with(']') &&
         std::any_of(kTokens.begin(), kTokens.end(), [&](std::string_view t) { return before.ends_with(t); });
}
bool TokenStartsAt(std::string_view text, size_t pos) {
  const std::string_view after = text.substr(pos);
  return after.starts_with('[') &&
         std::any_of(kTokens.begin(), kTokens.end(), [&](std::string_view t) { return after.starts_with(t); });
}

// Whether the value starting at `begin` (ending at `end`) continues a longer token and so is none of its
// own: a letter, digit, "_" or replacement token touches it, or one of `joiners` links it to one or to a
// character for which `links` holds, as the last dot of 1.2.3.4.5 or the decimal point of 0.41111… do.
bool GluedBefore(std::string_view text, size_t begin, std::string_view joiners, bool (*links)(char)) {
  if (begin == 0) return false;
  if (IsWord(text[begin - 1]) || TokenEndsAt(text, begin)) return true;
  return begin > 1 && joiners.find(text[begin - 1]) != std::string_view::npos &&
         (links(text[begin - 2]) || TokenEndsAt(text, begin - 1));
}
bool GluedAfter(std::string_view text, size_t end, std::string_view joiners, bool (*links)(char)) {
  if (end == text.size()) return false;
  if (IsWord(text[end]) || TokenStartsAt(text, end)) return true;
  return end + 1 < text.size() && joiners.find(text[end]) != std::string_view::npos &&
         (links(text[end + 1]) || TokenStartsAt(text, end + 1));
}
bool Glued(std::string_view text, size_t begin, size_t end, std::string_view joiners, bool (*links)(char)) {
  return GluedBefore(text, begin, joiners, links) || GluedAfter(text, end, joiners, links);
}

// The digits of [begin, end), separators skipped, pass the Luhn check.
bool LuhnValid(std::string_view text, size_t begin, size_t end) {
  int sum = 0;
  bool doubled = false;
  for (size_t i = end; i > begin; --i) {
    const char c = text[i - 1];
    if (!IsDigit(c)) continue;
    int digit = c - '0';
    if (doubled) digit = digit * 2 > 9 ? digit * 2 - 9 : digit * 2;
    sum += digit;
    doubled = !doubled;
  }
  return sum % 10 == 0;
}

// [begin, end) holds 13 to 19 digits in acceptable groups; the rest of the card rule is here.
bool IsCard(std::string_view text, size_t begin, size_t end) {
  return text[begin] >= '2' && text[begin] <= '6' && !Glued(text, begin, end, ".,", IsDigit) &&
         LuhnValid(text, begin, end);
}

struct Edit {
  size_t begin;
  size_t end;
  std::string_view replacement;
};

// Turns one match [begin, end) of a rule into edits and returns where the search resumes: past the match
// when it was used; otherwise just after its start, so that a candidate overlapping the rejected one is
// still found, unless the rule knows that none can start inside it.
using Resolver = size_t (*)(std::string_view text, size_t begin, size_t end, std::string_view token,
                            std::vector<Edit>& edits);

size_t Replace(size_t begin, size_t end, std::string_view token, std::vector<Edit>& edits) {
  edits.push_back({begin, end, token});
  return end;
}

// An e-mail pattern depends on no surroundings, so its every match is one.
size_t ResolveEmail(std::string_view /*text*/, size_t begin, size_t end, std::string_view token,
                    std::vector<Edit>& edits) {
  return Replace(begin, end, token, edits);
}

// Secrets that start at a word boundary and run as far as their alphabet does (JWT, GitHub token).
size_t ResolvePrefixedSecret(std::string_view text, size_t begin, size_t end, std::string_view token,
                             std::vector<Edit>& edits) {
  if (TokenEndsAt(text, begin)) return begin + 1;
  return Replace(begin, end, token, edits);
}

// Exactly 20 characters between word boundaries.
size_t ResolveAwsKey(std::string_view text, size_t begin, size_t end, std::string_view token,
                     std::vector<Edit>& edits) {
  if (TokenEndsAt(text, begin) || TokenStartsAt(text, end)) return begin + 1;
  return Replace(begin, end, token, edits);
}

// A random key has a digit or a capital within 16 characters; a snake_case name does not, and neither does
// any key starting inside it, since that would end where it ends.
size_t ResolveApiKey(std::string_view text, size_t begin, size_t end, std::string_view token,
                     std::vector<Edit>& edits) {
  if (TokenEndsAt(text, begin)) return begin + 1;
  const std::string_view after_prefix = text.substr(begin + 3, end - begin - 3);
  if (std::none_of(after_prefix.begin(), after_prefix.end(), [](char c) { return IsDigit(c) || IsUpper(c); })) {
    return end;
  }
  return Replace(begin, end, token, edits);
}

// The match ends with the value's first character. A quoted value runs to the closing quote on the same
// line; a bare one to white space, a quote or "<" (HTML in formatted_body). Only the value is replaced,
// and a value that is already a token stays, so that token=[REDACTED_JWT] keeps saying what it was. The
// value's extent is found here rather than by the pattern so that a key that is skipped costs only its own
// length: a value can be the rest of the message.
size_t ResolveKeyValue(std::string_view text, size_t begin, size_t end, std::string_view token,
                       std::vector<Edit>& edits) {
  size_t value_begin = end - 1;
  // A key inside an identifier is skipped, but not its value, which may hold a key=value of its own.
  const bool in_identifier = begin > 0 && kMatrixSigils.find(text[begin - 1]) != std::string_view::npos;
  if (in_identifier || TokenEndsAt(text, begin)) return value_begin;
  size_t value_end;
  const char quote = text[value_begin];
  if (quote == '"' || quote == '\'') {
    const char closing[] = {quote, '\r', '\n'};
    value_end = text.find_first_of(std::string_view(closing, sizeof(closing)), ++value_begin);
    if (value_end == std::string_view::npos || text[value_end] != quote) return value_begin;  // Not a value.
  } else {
    value_end = text.find_first_of(std::string_view(" \t\n\f\r\"'<"), value_begin);
    if (value_end == std::string_view::npos) value_end = text.size();
  }
  const std::string_view value = text.substr(value_begin, value_end - value_begin);
  if (!value.empty() && !IsToken(value)) Replace(value_begin, value_end, token, edits);
  return value_end;
}

// No address can start inside a rejected candidate, each of whose positions follows a hex digit or a
// separator after one, except just after its "::"; resuming there keeps a long hex-and-colon run at one
// search per candidate rather than per character.
size_t ResolveIpv6(std::string_view text, size_t begin, size_t end, std::string_view token,
                   std::vector<Edit>& edits) {
  const std::string_view address = text.substr(begin, end - begin);
  const size_t compressed = address.find("::");
  bool meaningful = compressed == std::string_view::npos;  // All eight groups written out.
  if (!meaningful && std::any_of(address.begin(), address.end(), IsDigit)) {
    size_t hex_run = 0;
    for (char c : address) {
      hex_run = IsHexDigit(c) ? hex_run + 1 : 0;
      if (hex_run >= 3) meaningful = true;
    }
  }
  if (!meaningful || Glued(text, begin, end, ".:", IsHexDigit)) {
    return compressed == std::string_view::npos ? end : begin + compressed + 2;
  }
  return Replace(begin, end, token, edits);
}

// For IPv4 and SSN, whose pattern finds the digits and whose neighbours decide whether they stand alone.
// No candidate can start inside a rejected one, since each of its positions follows a digit or a joiner
// after a digit; resuming past it keeps a long dotted run at one search per candidate, not per digit.
size_t ReplaceUnlessGlued(std::string_view text, size_t begin, size_t end, std::string_view token,
                          std::string_view joiners, std::vector<Edit>& edits) {
  if (Glued(text, begin, end, joiners, IsDigit)) return end;
  return Replace(begin, end, token, edits);
}

size_t ResolveIpv4(std::string_view text, size_t begin, size_t end, std::string_view token,
                   std::vector<Edit>& edits) {
  return ReplaceUnlessGlued(text, begin, end, token, ".", edits);
}

// 123-45-6789-0 is some other code.
size_t ResolveSsn(std::string_view text, size_t begin, size_t end, std::string_view token,
                  std::vector<Edit>& edits) {
  return ReplaceUnlessGlued(text, begin, end, token, "-.,", edits);
}

// The pattern is greedy about trailing groups, so the number ends at the last group that keeps it within
// E.164's 15 digits and stands alone: "+1 415 555 2671 1234 5678" is a phone number followed by other
// digits.
size_t ResolvePhone(std::string_view text, size_t begin, size_t end, std::string_view token,
                    std::vector<Edit>& edits) {
  constexpr std::string_view kJoiners = ".,-";
  if (GluedBefore(text, begin, kJoiners, IsDigit)) return begin + 1;
  size_t digits = 0;
  size_t number_end = 0;
  for (size_t i = begin; i < end; ++i) {
    if (!IsDigit(text[i])) continue;
    ++digits;
    const bool group_ends = i + 1 == end || !IsDigit(text[i + 1]);
    if (group_ends && digits >= kMinPhoneDigits && digits <= kMaxPhoneDigits &&
        !GluedAfter(text, i + 1, kJoiners, IsDigit)) {
      number_end = i + 1;
    }
  }
  if (number_end == 0) return begin + 1;
  return Replace(begin, number_end, token, edits);
}

// The match shows where a card could be; the card is looked for in the whole run of digit groups around it,
// joined by single spaces or dashes. A card is one group of 13 to 19 digits, or consecutive groups of 3 to 6
// digits totalling 13 to 19, so that "12 4111 1111 1111 1111" holds a card after the 12. The longest card
// starting at a group wins. Runs do not overlap and each candidate costs at most 19 digits of Luhn, so the
// work stays linear in the text.
size_t ResolveCardRun(std::string_view text, size_t begin, size_t end, std::string_view token,
                      std::vector<Edit>& edits) {
  const auto is_separator = [](char c) { return c == ' ' || c == '-'; };
  size_t run_begin = begin;
  while (run_begin > 0 &&
         (IsDigit(text[run_begin - 1]) ||
          (run_begin > 1 && is_separator(text[run_begin - 1]) && IsDigit(text[run_begin - 2])))) {
    --run_begin;
  }
  size_t run_end = end;
  while (run_end < text.size() &&
         (IsDigit(text[run_end]) ||
          (run_end + 1 < text.size() && is_separator(text[run_end]) && IsDigit(text[run_end + 1])))) {
    ++run_end;
  }
  const auto group_end = [&](size_t from) {
    while (from < run_end && IsDigit(text[from])) ++from;
    return from;
  };
  size_t first = run_begin;
  while (first < run_end) {
    const size_t first_end = group_end(first);
    const size_t first_digits = first_end - first;
    size_t card_end = 0;
    if (first_digits >= kMinCardDigits && first_digits <= kMaxCardDigits) {
      if (IsCard(text, first, first_end)) card_end = first_end;
    } else if (first_digits >= kMinCardGroupDigits && first_digits <= kMaxCardGroupDigits) {
      size_t digits = first_digits;
      size_t last_end = first_end;
      while (last_end < run_end) {  // text[last_end] is a separator, and a digit follows it.
        const size_t next_end = group_end(last_end + 1);
        const size_t next_digits = next_end - (last_end + 1);
        if (next_digits < kMinCardGroupDigits || next_digits > kMaxCardGroupDigits ||
            digits + next_digits > kMaxCardDigits) {
          break;
        }
        digits += next_digits;
        last_end = next_end;
        if (digits >= kMinCardDigits && IsCard(text, first, last_end)) card_end = last_end;
      }
    }
    if (card_end != 0) Replace(first, card_end, token, edits);
    first = (card_end != 0 ? card_end : first_end) + 1;  // Past the separator, at the next group.
  }
  return run_end;
}

struct RuleSpec {
  std::string_view name;
  std::string_view pattern;
  std::string_view token;
  Resolver resolve;
};

#define ARMORCLAW_OCTET "(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
#define ARMORCLAW_IPV4 "(?:" ARMORCLAW_OCTET "\\.){3}" ARMORCLAW_OCTET
#define ARMORCLAW_HEXTET "[0-9A-Fa-f]{1,4}"

// In order of application. Whole secrets come before key=value, so that token=ghp_… says what it held;
// key=value before e-mail, so that a password shaped like an address is hidden as a password; IPv6 before
// IPv4, so that ::ffff:192.0.2.1 is one address; card runs before SSN and phone, whose shapes can be
// parts of a card.
constexpr std::array<RuleSpec, 11> kRules = {{
    // Three base64url segments; the header is JSON, so it starts "eyJ". An unsigned JWT ends in ".".
    {"jwt", R"(\beyJ[\w-]+\.[\w-]+\.[\w-]*)", kJwtToken, ResolvePrefixedSecret},
    {"github", R"(\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_\w{20,}))", kGithubToken, ResolvePrefixedSecret},
    {"aws", R"(\b(?:AKIA|ASIA)[A-Z0-9]{16}\b)", kAwsToken, ResolveAwsKey},
    {"api_key", R"(\b[sp]k_[\w-]{16,})", kApiKeyToken, ResolveApiKey},
    // The key may be longer (access_token, client_secret, X-Auth-Token); the match starts at its first
    // character so that the resolver can see a Matrix sigil before it, and ends at the value's first.
    {"key_value", R"re((?i)[\w.-]*(?:password|token|secret)["']?[ \t]*[:=][ \t]*[^\s<])re", kRedacted,
     ResolveKeyValue},
    // A domain needs a dot, which a Matrix user id (@alice:example.org) lacks after its "@".
    {"email", R"([\w.%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,})", kEmailToken, ResolveEmail},
    {"ipv6",
     "(?:" ARMORCLAW_HEXTET ":){7}" ARMORCLAW_HEXTET "|(?:" ARMORCLAW_HEXTET ":){6}" ARMORCLAW_IPV4
     "|(?:" ARMORCLAW_HEXTET "(?::" ARMORCLAW_HEXTET "){0,6})?::"
     "(?:(?:" ARMORCLAW_HEXTET ":){0,5}" ARMORCLAW_IPV4 "|" ARMORCLAW_HEXTET "(?::" ARMORCLAW_HEXTET "){0,6})?",
     kIpToken, ResolveIpv6},
    {"ipv4", "\\b" ARMORCLAW_IPV4 "\\b", kIpToken, ResolveIpv4},
    // A card of contiguous digits has 13 of them; a grouped one has at least three groups of 3 to 6.
    {"card", R"(\d{13}|\d{3}[ -]\d{3,6}[ -]\d{3})", kCardToken, ResolveCardRun},
    {"ssn", R"(\b\d{3}-\d{2}-\d{4}\b)", kSsnToken, ResolveSsn},
    // "+" and a country code, then groups with optional separators; or the North American grouping, whose
    // separators are what tells it from a bare number.
    {"phone",
     R"(\+\d{1,3}(?:[ .-]?(?:\(\d{1,4}\)|\d{1,5})){1,6})"
     R"(|(?:\b1[ .-])?(?:\(\d{3}\) ?|\b\d{3}[ .-])\d{3}[ .-]\d{4}\b)",
     kPhoneToken, ResolvePhone},
}};

#undef ARMORCLAW_OCTET
#undef ARMORCLAW_IPV4
#undef ARMORCLAW_HEXTET

// The Matrix identifier grammar (spec, appendices: identifier grammar, and the content repository's mxc://
// URI). A server name is a DNS name or IPv4 address, or an IPv6 address in brackets, with an optional port.
// An opaque id (the localpart of a room id, room alias or room-version-1/2 event id) is taken as URL-safe
// characters without "@" or ":", so that no address or mention can hide in one; a user id's localpart is
// the current grammar's, lower case. Event ids of room versions 3 and later, and room ids of version 12, are
// the sigil and 43 characters of unpadded base64 (standard or URL-safe) and name no server.
#define ARMORCLAW_SERVER_NAME R"((?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(?::[0-9]{1,5})?)"
#define ARMORCLAW_OPAQUE_ID R"([A-Za-z0-9._~=/+-]+)"
constexpr std::string_view kIdentifierPattern =
    "mxc://" ARMORCLAW_SERVER_NAME "/[A-Za-z0-9_-]+"
    "|@[a-z0-9._=/+-]+:" ARMORCLAW_SERVER_NAME
    "|[!#$]" ARMORCLAW_OPAQUE_ID ":" ARMORCLAW_SERVER_NAME
    "|[!$][A-Za-z0-9+/_-]{43}";
#undef ARMORCLAW_SERVER_NAME
#undef ARMORCLAW_OPAQUE_ID
// The spec's limit for every identifier, and beyond it nothing is one.
constexpr size_t kMaxIdentifierBytes = 255;

re2::StringPiece ToPiece(std::string_view text) { return re2::StringPiece(text.data(), text.size()); }

RE2::Options PatternOptions() {
  RE2::Options options;
  // Bytes, not UTF-8: every pattern is ASCII, and byte classes pass any text through, valid UTF-8 or not.
  options.set_encoding(RE2::Options::EncodingLatin1);
  // A plugin does not write to the host's stderr; a DFA out of memory is handled (see FiredRules).
  options.set_log_errors(false);
  return options;
}

}  // namespace

struct Scrubber::Patterns {
  struct Rule {
    std::unique_ptr<const RE2> regex;
    std::string_view token;
    Resolver resolve;
  };

  Patterns()
      : identifier(ToPiece(kIdentifierPattern), PatternOptions()), triggers(PatternOptions(), RE2::UNANCHORED) {}

  // Whether the whole of `text` is one Matrix identifier or mxc:// URI.
  bool IsIdentifier(std::string_view text) const {
    return text.size() <= kMaxIdentifierBytes && RE2::FullMatch(ToPiece(text), identifier);
  }

  // Fills `fired` with the rules whose pattern occurs in `text`, in rule order. One pass over the text
  // decides for every rule, so a message without candidates costs one scan. When the set's DFA runs out
  // of memory every rule is tried instead, each with its own linear-time search.
  void FiredRules(std::string_view text, std::vector<int>& fired) const {
    fired.clear();
    RE2::Set::ErrorInfo error{RE2::Set::kNoError};
    if (!triggers.Match(ToPiece(text), &fired, &error) && error.kind != RE2::Set::kNoError) {
      fired.resize(rules.size());
      std::iota(fired.begin(), fired.end(), 0);
      return;
    }
    std::sort(fired.begin(), fired.end());
  }

  // Applies one rule to `text`; when it replaces anything, writes the result to `out` and returns true.
  static bool Apply(const Rule& rule, std::string_view text, std::vector<Edit>& edits, std::string& out) {
    edits.clear();
    const re2::StringPiece input = ToPiece(text);
    re2::StringPiece match;
    size_t resume = 0;
    while (resume < text.size() && rule.regex->Match(input, resume, text.size(), RE2::UNANCHORED, &match, 1)) {
      const size_t begin = static_cast<size_t>(match.data() - text.data());
      resume = rule.resolve(text, begin, begin + match.size(), rule.token, edits);
    }
    if (edits.empty()) return false;
    out.clear();
    size_t copied = 0;
    for (const Edit& edit : edits) {
      out.append(text.substr(copied, edit.begin - copied));
      out.append(edit.replacement);
      copied = edit.end;
    }
    out.append(text.substr(copied));
    return true;
  }

  RE2 identifier;
  std::vector<Rule> rules;
  RE2::Set triggers;  // Every rule's pattern, to learn in one scan which rules can match.
};

namespace {

// RE2 allocates process-wide state once and never frees it. When the host unloads the plugin, RE2's
// shared library would be unloaded with it and that state lost, leaking it again on every reload: keep
// the library resident instead, so that a reloaded plugin finds and reuses it.
void KeepRe2Resident() {
  Dl_info info;
  if (dladdr(reinterpret_cast<void*>(&RE2::QuoteMeta), &info) != 0 && info.dli_fname != nullptr) {
    // A reference taken with RTLD_NODELETE is never released; the handle needs no dlclose.
    (void)dlopen(info.dli_fname, RTLD_NOW | RTLD_NOLOAD | RTLD_NODELETE);
  }
}

}  // namespace

absl::StatusOr<Scrubber> Scrubber::Create() {
  KeepRe2Resident();
  auto patterns = std::make_unique<Patterns>();
  if (!patterns->identifier.ok()) {
    return absl::InternalError(absl::StrCat("scrubber identifier pattern: ", patterns->identifier.error()));
  }
  for (const RuleSpec& spec : kRules) {
    auto regex = std::make_unique<const RE2>(ToPiece(spec.pattern), PatternOptions());
    if (!regex->ok()) {
      return absl::InternalError(absl::StrCat("scrubber pattern ", ToAbsl(spec.name), ": ", regex->error()));
    }
    std::string error;
    if (patterns->triggers.Add(ToPiece(spec.pattern), &error) < 0) {
      return absl::InternalError(absl::StrCat("scrubber pattern set ", ToAbsl(spec.name), ": ", error));
    }
    patterns->rules.push_back({std::move(regex), spec.token, spec.resolve});
  }
  if (!patterns->triggers.Compile()) return absl::InternalError("scrubber pattern set: out of memory");
  return Scrubber(std::move(patterns));
}

Scrubber::Scrubber(std::unique_ptr<const Patterns> patterns) : patterns_(std::move(patterns)) {}
Scrubber::Scrubber(Scrubber&&) noexcept = default;
Scrubber& Scrubber::operator=(Scrubber&&) noexcept = default;
Scrubber::~Scrubber() = default;

bool Scrubber::Scrub(std::string_view text, std::string& out) const {
  // What an identifier holds is its grammar's, not text a person wrote; a value that only starts like one
  // is text like any other.
  if (patterns_->IsIdentifier(text)) return false;
  std::vector<int> fired;
  patterns_->FiredRules(text, fired);
  std::vector<Edit> edits;
  std::string next;
  bool changed = false;
  // Each rule sees the replacements of those before it. The set is consulted once, on the original text:
  // replacements can only make a pattern match against a token, and matches touching a token are
  // rejected.
  for (int index : fired) {
    if (Patterns::Apply(patterns_->rules[index], changed ? std::string_view(out) : text, edits, next)) {
      out.swap(next);
      changed = true;
    }
  }
  return changed;
}

bool Scrubber::ScrubString(std::string& text) const {
  std::string scrubbed;
  if (!Scrub(text, scrubbed)) return false;
  text.swap(scrubbed);
  return true;
}

size_t Scrubber::ScrubEvent(boost::json::object& event) const {
  // An explicit stack rather than recursion: the depth is the event's, not ours to trust.
  std::vector<boost::json::value*> pending;
  if (boost::json::value* content = event.if_contains("content")) pending.push_back(content);
  // A state event carries the content it replaced, and a redacted event the redaction that removed it,
  // whose reason is free text: content as much as content itself.
  if (boost::json::object* unsigned_data = AsObject(event.if_contains("unsigned"))) {
    if (boost::json::value* previous = unsigned_data->if_contains("prev_content")) pending.push_back(previous);
    if (boost::json::object* redaction = AsObject(unsigned_data->if_contains("redacted_because"))) {
      if (boost::json::value* reason = redaction->if_contains("content")) pending.push_back(reason);
    }
  }
  size_t changed = 0;
  std::string scrubbed;
  while (!pending.empty()) {
    boost::json::value& value = *pending.back();
    pending.pop_back();
    if (boost::json::string* text = value.if_string()) {
      if (Scrub(std::string_view(text->data(), text->size()), scrubbed)) {
        *text = scrubbed;
        ++changed;
      }
    } else if (boost::json::object* object = value.if_object()) {
      for (boost::json::key_value_pair& member : *object) pending.push_back(&member.value());
    } else if (boost::json::array* array = value.if_array()) {
      for (boost::json::value& element : *array) pending.push_back(&element);
    }
  }
  return changed;
}

}  // namespace armorclaw::eventbus
