// The opening handshake over a raw socket: RFC 6455 §4.2.1 (what the server reads) and §4.2.2 (what it
// answers), and the HTTP/1.1 rules around them (RFC 7230, RFC 7231). Each case names the section it
// checks; docs/security.md lists them all.
#include <string>

#include "absl/strings/str_cat.h"
#include "bench/ws_frame.h"
#include "boost/beast/core/string.hpp"
#include "boost/beast/http/field.hpp"
#include "boost/beast/http/write.hpp"
#include "boost/beast/http/status.hpp"
#include "gtest/gtest.h"
#include "tests/conformance/conformance_fixture.h"

namespace armorclaw::eventbus::testing {
namespace {

namespace op = bench::opcode;
namespace http = boost::beast::http;

class HttpUpgradeTest : public ConformanceTest {
 protected:
  HttpUpgradeTest() : client_(plugin_.url()) {}

  // Sends `request` and returns the status of the answer.
  http::status Answer(const std::string& request) {
    client_.Send(request);
    return client_.ReadHttpResponse().result();
  }

  RawWsClient client_;
};

// RFC 6455 §4.2.2: 101 with Upgrade, Connection and the Sec-WebSocket-Accept derived from the key (the
// RFC's own example, §1.3); the connection is then a WebSocket.
TEST_F(HttpUpgradeTest, ValidUpgradeGets101WithTheAcceptForItsKey) {
  client_.Send(UpgradeRequest(client_.path()));
  const auto response = client_.ReadHttpResponse();
  EXPECT_EQ(response.result(), http::status::switching_protocols);
  EXPECT_TRUE(boost::beast::iequals(response[http::field::upgrade], "websocket")) << response;
  EXPECT_TRUE(boost::beast::iequals(response[http::field::connection], "upgrade")) << response;
  EXPECT_EQ(response[http::field::sec_websocket_accept], kSampleAccept);
  ExpectUsable(client_);
}

// RFC 6455 §4.2.2 (/5, items 4 and 5): the server selects no subprotocol and no extension it does not
// support (here Safari's pre-RFC x-webkit-deflate-frame; permessage-deflate is supported, see
// tests/integration/compression_test.cc), and says so by leaving their headers out; without an extension
// RSV1 stays a protocol error (§5.2).
TEST_F(HttpUpgradeTest, ExtensionAndSubprotocolOffersAreDeclined) {
  client_.Send(UpgradeRequest(client_.path(),
                              "Sec-WebSocket-Extensions: x-webkit-deflate-frame\r\n"
                              "Sec-WebSocket-Protocol: chat, superchat\r\n"));
  const auto response = client_.ReadHttpResponse();
  EXPECT_EQ(response.result(), http::status::switching_protocols);
  EXPECT_EQ(response.count(http::field::sec_websocket_extensions), 0u);
  EXPECT_EQ(response.count(http::field::sec_websocket_protocol), 0u);
  client_.Send(ClientFrame(kFin | kRsv1 | op::kText, kPing));
  ExpectFailedWith(client_, 1002);
}

// RFC 6455 §4.2.1 (items 3 and 4): "websocket" and "Upgrade" are case-insensitive, and Connection is a
// token list (browsers send "keep-alive, Upgrade").
TEST_F(HttpUpgradeTest, UpgradeTokensAreCaseInsensitiveAndConnectionIsAList) {
  EXPECT_EQ(Answer(UpgradeRequest(client_.path(), "Upgrade: WebSocket\r\nConnection: keep-alive, upgrade\r\n",
                                  {"Upgrade", "Connection"})),
            http::status::switching_protocols);
  ExpectUsable(client_);
}

// RFC 7230 §5.3.1: the query is not part of the path.
TEST_F(HttpUpgradeTest, QueryStringIsNotPartOfThePath) {
  EXPECT_EQ(Answer(UpgradeRequest(absl::StrCat(client_.path(), "?client=conformance"))),
            http::status::switching_protocols);
}

// RFC 6455 §4.2.1 (item 3), docs/error-catalog.md: a GET without Upgrade is not a WebSocket request:
// 426 naming the protocol to upgrade to.
TEST_F(HttpUpgradeTest, MissingUpgradeHeaderGets426) {
  client_.Send(UpgradeRequest(client_.path(), "", {"Upgrade"}));
  const auto response = client_.ReadHttpResponse();
  EXPECT_EQ(response.result(), http::status::upgrade_required);
  EXPECT_EQ(response[http::field::upgrade], "websocket");
}

// RFC 6455 §4.2.1 (item 3): an upgrade to another protocol is not a WebSocket request either.
TEST_F(HttpUpgradeTest, UpgradeToAnotherProtocolGets426) {
  EXPECT_EQ(Answer(UpgradeRequest(client_.path(), "Upgrade: h2c\r\n", {"Upgrade"})), http::status::upgrade_required);
}

// RFC 6455 §4.2.1 (item 4): Connection must include the Upgrade token.
TEST_F(HttpUpgradeTest, MissingConnectionUpgradeGets426) {
  EXPECT_EQ(Answer(UpgradeRequest(client_.path(), "Connection: keep-alive\r\n", {"Connection"})),
            http::status::upgrade_required);
}

// RFC 6455 §4.2.2, §4.4: a version other than 13 gets 426 with the version the server speaks.
TEST_F(HttpUpgradeTest, Version8Gets426NamingVersion13) {
  client_.Send(UpgradeRequest(client_.path(), "Sec-WebSocket-Version: 8\r\n", {"Sec-WebSocket-Version"}));
  const auto response = client_.ReadHttpResponse();
  EXPECT_EQ(response.result(), http::status::upgrade_required);
  EXPECT_EQ(response[http::field::sec_websocket_version], "13");
}

// RFC 6455 §4.2.1 (item 5), §4.2.2: an upgrade without a key is malformed: 400.
TEST_F(HttpUpgradeTest, MissingKeyGets400) {
  EXPECT_EQ(Answer(UpgradeRequest(client_.path(), "", {"Sec-WebSocket-Key"})), http::status::bad_request);
}

// RFC 6455 §4.2.1 (item 5): the key is base64 of 16 bytes; "c2hvcnQ=" decodes to 5.
TEST_F(HttpUpgradeTest, KeyNotDecodingTo16BytesGets400) {
  EXPECT_EQ(Answer(UpgradeRequest(client_.path(), "Sec-WebSocket-Key: c2hvcnQ=\r\n", {"Sec-WebSocket-Key"})),
            http::status::bad_request);
}

// RFC 6455 §11.3.1: Sec-WebSocket-Key "MUST NOT appear more than once in an HTTP request".
TEST_F(HttpUpgradeTest, DuplicateKeyGets400) {
  EXPECT_EQ(Answer(UpgradeRequest(client_.path(), "Sec-WebSocket-Key: AQIDBAUGBwgJCgsMDQ4PEA==\r\n")),
            http::status::bad_request);
}

// RFC 7231 §4.3.2: the answer to HEAD has no body (405, docs/error-catalog.md).
TEST_F(HttpUpgradeTest, HeadGets405WithoutABody) {
  client_.Send(absl::StrCat("HEAD ", client_.path(), " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"));
  EXPECT_EQ(client_.ReadHttpResponse(/*to_head=*/true).result(), http::status::method_not_allowed);
  EXPECT_EQ(client_.ReadToEnd(), "") << "body bytes after the answer to HEAD";
}

// RFC 7230 §5.3.2: "a server MUST accept the absolute-form in requests".
TEST_F(HttpUpgradeTest, AbsoluteFormTargetIsUpgraded) {
  const std::string absolute = absl::StrCat("http", plugin_.url().substr(2));  // ws://... -> http://...
  EXPECT_EQ(Answer(UpgradeRequest(absolute)), http::status::switching_protocols);
  ExpectUsable(client_);
}

// docs/error-catalog.md (No answer): request headers over 8 KiB end the connection unanswered.
TEST_F(HttpUpgradeTest, HeadersOver8KiBAreClosedWithoutAnAnswer) {
  client_.Send(UpgradeRequest(client_.path(), absl::StrCat("X-Padding: ", std::string(9000, 'p'), "\r\n")));
  EXPECT_EQ(client_.ReadToEnd(), "");
  ExpectBystanderServed();
}

// RFC 7230 §3.3, RFC 7231 §4.3.1: a GET body has no meaning here and cannot be a WebSocket frame; the
// request is refused with 400 instead of being dropped unanswered.
TEST_F(HttpUpgradeTest, BodyOnAnUpgradeGets400) {
  EXPECT_EQ(Answer(UpgradeRequest(client_.path(), "Content-Length: 5\r\n") + "hello"), http::status::bad_request);
}

// RFC 6455 §4.1: the client MUST wait for the server's answer before it sends anything more. A frame sent
// right behind the request is refused with 400, never taken for (part of) the client's first message.
TEST_F(HttpUpgradeTest, FrameSentBeforeThe101Gets400) {
  client_.Send(UpgradeRequest(client_.path()) + ClientFrame(kFin | op::kText, kPing));
  EXPECT_EQ(client_.ReadHttpResponse().result(), http::status::bad_request);
}

}  // namespace
}  // namespace armorclaw::eventbus::testing
