#include "plugin/net/permessage_deflate.h"

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace armorclaw::eventbus {
namespace {

// One element of a Sec-WebSocket-Extensions list (RFC 7230 section 3.2.6 and RFC 6455 section 9.1):
// token *( OWS ";" OWS token [ "=" ( token / quoted-string ) ] ), values unquoted.
struct Param {
  std::string name;
  std::string value;
  bool has_value = false;
};
struct Offer {
  std::string name;
  std::vector<Param> params;
  bool valid = true;  // False: a syntax error within it.
};

// Beast's http::ext_list is not used: it drops a valueless parameter before a comma, and gives the
// parameters of one element to the next.
class ExtensionListParser {
 public:
  explicit ExtensionListParser(std::string_view text) : text_(text) {}

  std::vector<Offer> Parse() {
    std::vector<Offer> offers;
    while (true) {
      SkipSpaceAndCommas();
      if (pos_ >= text_.size()) return offers;
      Offer offer;
      offer.valid = ParseElement(offer);
      if (!offer.valid) SkipToNextElement();
      offers.push_back(std::move(offer));
    }
  }

 private:
  static bool IsTokenChar(char c) {
    return absl::ascii_isalnum(static_cast<unsigned char>(c)) ||
           std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
  }
  void SkipSpace() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t')) ++pos_;
  }
  void SkipSpaceAndCommas() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == ',')) ++pos_;
  }
  std::string Token() {
    const size_t start = pos_;
    while (pos_ < text_.size() && IsTokenChar(text_[pos_])) ++pos_;
    return std::string(text_.substr(start, pos_ - start));
  }
  // At a '"': the unescaped content; false when it is not closed.
  bool QuotedString(std::string& out) {
    for (++pos_; pos_ < text_.size(); ++pos_) {
      const char c = text_[pos_];
      if (c == '"') {
        ++pos_;
        return true;
      }
      if (c == '\\') {
        if (++pos_ >= text_.size()) return false;
      }
      out += text_[pos_];
    }
    return false;
  }
  bool ParseElement(Offer& offer) {
    offer.name = Token();
    if (offer.name.empty()) return false;
    while (true) {
      SkipSpace();
      if (pos_ >= text_.size() || text_[pos_] == ',') return true;
      if (text_[pos_] != ';') return false;
      ++pos_;
      SkipSpace();
      Param param;
      param.name = Token();
      if (param.name.empty()) return false;
      SkipSpace();
      if (pos_ < text_.size() && text_[pos_] == '=') {
        ++pos_;
        SkipSpace();
        param.has_value = true;
        if (pos_ < text_.size() && text_[pos_] == '"') {
          if (!QuotedString(param.value)) return false;
        } else {
          param.value = Token();
          if (param.value.empty()) return false;
        }
      }
      offer.params.push_back(std::move(param));
    }
  }
  // After a syntax error: past the next comma outside a quoted string.
  void SkipToNextElement() {
    bool quoted = false;
    for (; pos_ < text_.size(); ++pos_) {
      const char c = text_[pos_];
      if (quoted && c == '\\') {
        ++pos_;
      } else if (c == '"') {
        quoted = !quoted;
      } else if (c == ',' && !quoted) {
        return;
      }
    }
  }

  std::string_view text_;
  size_t pos_ = 0;
};

// A window size as RFC 7692 section 7.1.2 writes it (after unquoting): 8 to 15, no leading zero.
// Anything else: nullopt.
std::optional<int> ParseWindowBits(std::string_view value) {
  if (value.size() == 1 && value[0] >= '8' && value[0] <= '9') return value[0] - '0';
  if (value.size() == 2 && value[0] == '1' && value[1] >= '0' && value[1] <= '5') return 10 + (value[1] - '0');
  return std::nullopt;
}

// One offer's parameters. nullopt: the offer must be declined (section 7: an unknown parameter, a
// parameter twice, or a value that is missing, unexpected or invalid), and the next one tried.
std::optional<DeflateAgreement> Accept(const Offer& offer) {
  if (!offer.valid) return std::nullopt;
  bool server_no_context_takeover = false;
  bool client_no_context_takeover = false;
  bool client_max_window_bits = false;
  std::optional<int> server_max_window_bits;
  for (const Param& param : offer.params) {
    const std::string name = absl::AsciiStrToLower(param.name);
    if (name == "server_no_context_takeover" || name == "client_no_context_takeover") {
      bool& seen = name == "server_no_context_takeover" ? server_no_context_takeover : client_no_context_takeover;
      if (seen || param.has_value) return std::nullopt;
      seen = true;
    } else if (name == "server_max_window_bits") {
      if (server_max_window_bits) return std::nullopt;
      server_max_window_bits = ParseWindowBits(param.value);
      if (!server_max_window_bits) return std::nullopt;
    } else if (name == "client_max_window_bits") {
      // Valueless: the client can take any window we ask of it; we ask none, so it keeps 15, which our
      // inflater handles whatever it chooses.
      if (client_max_window_bits || (param.has_value && !ParseWindowBits(param.value))) return std::nullopt;
      client_max_window_bits = true;
    } else {
      return std::nullopt;
    }
  }
  DeflateAgreement agreement;
  agreement.response = "permessage-deflate; server_no_context_takeover; client_no_context_takeover";
  if (server_max_window_bits) {
    // Section 7.1.2.1: an offer with server_max_window_bits is accepted with the parameter in the answer,
    // at most the value offered; we use exactly that.
    agreement.server_window_bits = *server_max_window_bits;
    absl::StrAppend(&agreement.response, "; server_max_window_bits=", *server_max_window_bits);
  }
  return agreement;
}

}  // namespace

std::optional<DeflateAgreement> NegotiatePermessageDeflate(std::span<const std::string_view> headers) {
  for (const std::string_view header : headers) {
    for (const Offer& offer : ExtensionListParser(header).Parse()) {
      if (!absl::EqualsIgnoreCase(offer.name, "permessage-deflate")) continue;
      if (auto agreement = Accept(offer)) return agreement;
    }
  }
  return std::nullopt;
}

std::optional<DeflateAgreement> NegotiatePermessageDeflate(const boost::beast::http::fields& request) {
  std::vector<std::string_view> headers;
  auto [field, end] = request.equal_range(boost::beast::http::field::sec_websocket_extensions);
  for (; field != end; ++field) headers.emplace_back(field->value().data(), field->value().size());
  return NegotiatePermessageDeflate(headers);
}

}  // namespace armorclaw::eventbus
