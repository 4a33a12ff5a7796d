// The client guide's protocol over real sockets against the real .so: every message, filter rule, error
// code and limit, asserting the exact JSON a client receives.
#include <functional>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "boost/asio/ip/tcp.hpp"
#include "boost/asio/write.hpp"
#include "boost/beast/core/tcp_stream.hpp"
#include "boost/beast/http/read.hpp"
#include "boost/beast/http/status.hpp"
#include "boost/beast/http/string_body.hpp"
#include "boost/beast/http/write.hpp"
#include "boost/beast/websocket/rfc6455.hpp"
#include "boost/json/parse.hpp"
#include "boost/json/serialize.hpp"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/raw_connection.h"
#include "tests/support/running_plugin.h"
#include "tests/support/ws_client.h"

namespace armorclaw::eventbus::testing {
namespace {

namespace http = boost::beast::http;
namespace websocket = boost::beast::websocket;
using boost::json::parse;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using Config = host::ConfigEntries;

// Matches every filter used below, so that reading up to it proves nothing else was delivered before.
constexpr std::string_view kSentinel =
    R"({"type":"m.room.message","room_id":"!myroom:example.com","sender":"@alice:example.com","event_id":"$sentinel","content":{"body":"end"}})";

boost::json::value ErrorJson(std::string_view code, std::string_view message) {
  boost::json::object error;
  error["type"] = "error";
  error["data"] = {{"code", code}, {"message", message}};
  return error;
}

// Reads events until the sentinel and returns their event_ids (the sentinel's included).
std::vector<std::string> ReadEventIdsUntilSentinel(WsClient& client) {
  std::vector<std::string> ids;
  for (;;) {
    const boost::json::value message = client.ReadJson();
    if (message.at("type") != "event") throw std::runtime_error("not an event: " + boost::json::serialize(message));
    ids.emplace_back(message.at("data").at("event").at("event_id").as_string());
    if (ids.back() == "$sentinel") return ids;
  }
}

struct GuideFilter {
  std::string name;
  std::string filter;
  std::function<bool(const boost::json::object&)> wants;
};

std::string Field(const boost::json::object& event, std::string_view key) {
  const auto* value = event.if_contains(key);
  return value == nullptr ? "" : std::string(value->as_string());
}

TEST(ProtocolTest, EachGuideFilterReceivesExactlyTheMatchingEvents) {
  const std::vector<GuideFilter> filters = {
      {"all", "{}", [](const auto&) { return true; }},
      {"room", R"({"room_id":"!myroom:example.com"})",
       [](const auto& e) { return Field(e, "room_id") == "!myroom:example.com"; }},
      {"sender", R"({"sender_id":"@alice:example.com"})",
       [](const auto& e) { return Field(e, "sender") == "@alice:example.com"; }},
      {"types", R"({"event_types":["m.room.message","m.room.member"]})",
       [](const auto& e) { return Field(e, "type") == "m.room.message" || Field(e, "type") == "m.room.member"; }},
      {"room+types", R"({"room_id":"!myroom:example.com","event_types":["m.room.message"]})",
       [](const auto& e) { return Field(e, "room_id") == "!myroom:example.com" && Field(e, "type") == "m.room.message"; }},
  };
  const std::vector<std::string> feed = ReadLines(TestDataPath("mixed-feed.jsonl"));
  RunningPlugin plugin;
  std::vector<std::unique_ptr<WsClient>> clients;
  for (const GuideFilter& filter : filters) {
    clients.push_back(std::make_unique<WsClient>(plugin.url()));
    clients.back()->Subscribe(filter.filter);
  }
  for (const std::string& event : feed) plugin.Publish(event);
  plugin.Publish(kSentinel);

  for (size_t i = 0; i < filters.size(); ++i) {
    std::vector<std::string> expected;
    for (const std::string& event : feed) {
      const boost::json::object object = parse(event).as_object();
      if (filters[i].wants(object)) expected.push_back(Field(object, "event_id"));
    }
    expected.push_back("$sentinel");
    EXPECT_EQ(ReadEventIdsUntilSentinel(*clients[i]), expected) << filters[i].name;
    EXPECT_GT(expected.size(), 1u);
  }
}

TEST(ProtocolTest, SubscribedAnswerHasAnUnguessableUniqueId) {
  RunningPlugin plugin;
  WsClient client(plugin.url());
  client.Send(R"({"type":"subscribe","data":{"filter":{}}})");
  const boost::json::value reply = client.ReadJson();
  const std::string id(reply.at("data").at("subscriber_id").as_string());
  EXPECT_THAT(id, MatchesRegex("sub-[0-9a-f]{32}"));
  boost::json::object expected;
  expected["type"] = "subscribed";
  expected["data"] = {{"subscriber_id", id}, {"message", "Subscribed successfully"}};
  EXPECT_EQ(reply, expected);
  EXPECT_NE(client.Subscribe("{}"), id);
}

TEST(ProtocolTest, TwoSubscriptionsOnOneConnectionDeliverEachEventOnce) {
  RunningPlugin plugin;
  WsClient client(plugin.url());
  client.Subscribe(R"({"room_id":"!myroom:example.com"})");
  client.Subscribe(R"({"sender_id":"@bob:example.com"})");
  plugin.Publish(R"({"type":"t","room_id":"!myroom:example.com","sender":"@bob:example.com","event_id":"$both"})");
  plugin.Publish(R"({"type":"t","room_id":"!testroom:example.com","sender":"@bob:example.com","event_id":"$bob"})");
  plugin.Publish(R"({"type":"t","room_id":"!testroom:example.com","sender":"@carol:example.com","event_id":"$none"})");
  plugin.Publish(kSentinel);
  EXPECT_EQ(ReadEventIdsUntilSentinel(client), (std::vector<std::string>{"$both", "$bob", "$sentinel"}));
}

TEST(ProtocolTest, EveryReceiverGetsIdenticalBytes) {
  RunningPlugin plugin;
  WsClient first(plugin.url()), second(plugin.url());
  first.Subscribe("{}");
  second.Subscribe(R"({"event_types":["m.room.message"]})");
  plugin.Publish(kSentinel);
  EXPECT_EQ(first.Read(), second.Read());
}

TEST(ProtocolTest, UnsubscribeStopsDeliveryAtOnce) {
  RunningPlugin plugin;
  WsClient client(plugin.url());
  const std::string leaving = client.Subscribe(R"({"room_id":"!testroom:example.com"})");
  client.Subscribe(R"({"room_id":"!myroom:example.com"})");
  client.Send(R"({"type":"unsubscribe","data":{"subscriber_id":")" + leaving + R"("}})");
  EXPECT_EQ(client.ReadJson(), parse(R"({"type":"unsubscribed","data":{"message":"Unsubscribed successfully"}})"));
  plugin.Publish(R"({"type":"t","room_id":"!testroom:example.com","event_id":"$gone"})");
  plugin.Publish(kSentinel);
  EXPECT_EQ(ReadEventIdsUntilSentinel(client), std::vector<std::string>{"$sentinel"});
  EXPECT_EQ(plugin.Stat("subscriptions_active"), 1u);
}

TEST(ProtocolTest, OnlyTheOwningConnectionCanUnsubscribe) {
  RunningPlugin plugin;
  WsClient owner(plugin.url()), other(plugin.url());
  const std::string id = owner.Subscribe("{}");
  other.Send(R"({"type":"unsubscribe","data":{"subscriber_id":")" + id + R"("}})");
  const auto not_found = ErrorJson("not_found", "no subscription with this subscriber_id on this connection");
  EXPECT_EQ(other.ReadJson(), not_found);
  other.Send(R"({"type":"unsubscribe","data":{"subscriber_id":"sub-nonexistent"}})");
  EXPECT_EQ(other.ReadJson(), not_found);
  plugin.Publish(kSentinel);
  EXPECT_EQ(ReadEventIdsUntilSentinel(owner), std::vector<std::string>{"$sentinel"});
}

TEST(ProtocolTest, PingGetsPongAtBothLevels) {
  RunningPlugin plugin;
  WsClient client(plugin.url());
  client.Ping();
  client.Send(R"({"type":"ping"})");
  EXPECT_EQ(client.Read(), R"({"type":"pong"})");
  EXPECT_EQ(client.pongs_received(), 1);
}

TEST(ProtocolTest, MaxSubscribersBoundary) {
  RunningPlugin plugin(Config{{"max_subscribers", "3"}});
  WsClient first(plugin.url()), second(plugin.url());
  first.Subscribe("{}");
  const std::string freed = first.Subscribe(R"({"room_id":"!myroom:example.com"})");
  second.Subscribe("{}");
  second.Send(R"({"type":"subscribe","data":{"filter":{}}})");
  EXPECT_EQ(second.ReadJson(),
            ErrorJson("max_subscribers",
                      "the server's limit of 3 active subscriptions (max_subscribers) is reached; unsubscribe or "
                      "retry later"));
  first.Send(R"({"type":"unsubscribe","data":{"subscriber_id":")" + freed + R"("}})");
  EXPECT_EQ(first.ReadJson().at("type"), "unsubscribed");
  second.Subscribe("{}");
}

TEST(ProtocolTest, DisconnectFreesSubscriptionsAtOnce) {
  RunningPlugin plugin(Config{{"max_subscribers", "2"}});
  {
    WsClient leaving(plugin.url());
    leaving.Subscribe("{}");
    leaving.Subscribe("{}");
    // Dropped without a close handshake, as a crashed client would.
    boost::beast::get_lowest_layer(leaving.stream()).socket().close();
  }
  plugin.AwaitStat("subscriptions_active", 0);
  WsClient next(plugin.url());
  next.Subscribe("{}");
  next.Subscribe("{}");
}

TEST(ProtocolTest, PerConnectionSubscriptionLimit) {
  RunningPlugin plugin(Config{{"max_subscriptions_per_connection", "1"}});
  WsClient client(plugin.url());
  client.Subscribe("{}");
  client.Send(R"({"type":"subscribe"})");
  EXPECT_EQ(client.ReadJson(),
            ErrorJson("too_many_subscriptions",
                      "this connection already has 1 subscriptions (max_subscriptions_per_connection)"));
}

TEST(ProtocolTest, SubscribeRateIsLimitedPerConnection) {
  RunningPlugin plugin(Config{{"subscribe_rate", "2"}});
  WsClient client(plugin.url());
  client.Subscribe("{}");
  client.Subscribe("{}");
  client.Send(R"({"type":"subscribe"})");
  const boost::json::value refused = client.ReadJson();
  EXPECT_EQ(refused.at("data").at("code"), "rate_limited");
  EXPECT_EQ(refused.at("data").at("message"), "more than 2 subscribe requests per second (subscribe_rate)");
  const int64_t retry_after_ms = refused.at("data").at("retry_after_ms").as_int64();
  EXPECT_GT(retry_after_ms, 0);
  EXPECT_LE(retry_after_ms, 500);
  WsClient other(plugin.url());
  other.Subscribe("{}");  // The budget is per connection.
  std::this_thread::sleep_for(std::chrono::milliseconds(retry_after_ms));
  client.Subscribe("{}");  // As promised, after retry_after_ms.
  EXPECT_EQ(plugin.Stat("subscriptions_active"), 4u);
}

struct BadInput {
  std::string name;
  std::string frame;
  boost::json::value reply;
};

TEST(ProtocolTest, MalformedInputGetsItsDocumentedAnswerAndHarmsNoOne) {
  const std::vector<BadInput> inputs = {
      {"invalid JSON", "{\"type\":", ErrorJson("invalid_message", "message is not valid JSON: incomplete JSON")},
      {"JSON array", "[1]", ErrorJson("invalid_message", "message must be a JSON object")},
      {"missing type", R"({"data":{}})", ErrorJson("invalid_message", "message needs a string \"type\"")},
      {"unknown type", R"({"type":"publish"})",
       ErrorJson("invalid_message", "unknown message type (expected subscribe, unsubscribe or ping)")},
      {"filter not an object", R"({"type":"subscribe","data":{"filter":"all"}})",
       ErrorJson("invalid_filter", "filter must be a JSON object")},
      {"room_id number", R"({"type":"subscribe","data":{"filter":{"room_id":1}}})",
       ErrorJson("invalid_filter", "filter field \"room_id\" must be a string")},
      {"room_id empty", R"({"type":"subscribe","data":{"filter":{"room_id":""}}})",
       ErrorJson("invalid_filter", "filter field \"room_id\" must not be empty")},
      {"room_id sigil", R"({"type":"subscribe","data":{"filter":{"room_id":"myroom"}}})",
       ErrorJson("invalid_filter", "filter field \"room_id\" must start with '!'")},
      {"sender empty", R"({"type":"subscribe","data":{"filter":{"sender_id":""}}})",
       ErrorJson("invalid_filter", "filter field \"sender_id\" must not be empty")},
      {"event_types string", R"({"type":"subscribe","data":{"filter":{"event_types":"m.room.message"}}})",
       ErrorJson("invalid_filter", "filter field \"event_types\" must be an array of strings")},
      {"event_types empty string", R"({"type":"subscribe","data":{"filter":{"event_types":[""]}}})",
       ErrorJson("invalid_filter", "filter field \"event_types\" must not contain an empty string")},
      {"event_types number", R"({"type":"subscribe","data":{"filter":{"event_types":[1]}}})",
       ErrorJson("invalid_filter", "filter field \"event_types\" must contain only strings")},
      {"unknown filter key", R"({"type":"subscribe","data":{"filter":{"room":"!a:b"}}})",
       ErrorJson("invalid_filter", "unknown filter field \"room\" (known: room_id, sender_id, event_types, rooms, "
                                         "not_rooms, senders, not_senders, types, not_types)")},
  };
  RunningPlugin plugin;
  WsClient bystander(plugin.url());
  bystander.Subscribe("{}");
  WsClient client(plugin.url());
  for (const BadInput& input : inputs) {
    client.Send(input.frame);
    EXPECT_EQ(client.ReadJson(), input.reply) << input.name;
  }
  client.SendBinary(R"({"type":"ping"})");
  EXPECT_EQ(client.ReadJson(), ErrorJson("invalid_message", "binary frames are not supported: send JSON text"));
  EXPECT_EQ(plugin.Stat("subscriptions_active"), 1u);  // No bad filter created a subscription.
  client.Send(R"({"type":"ping"})");
  EXPECT_EQ(client.Read(), R"({"type":"pong"})");  // Still open.
  plugin.Publish(kSentinel);
  EXPECT_EQ(ReadEventIdsUntilSentinel(bystander), std::vector<std::string>{"$sentinel"});
}

TEST(ProtocolTest, OversizeFrameIsClosedWith1009) {
  RunningPlugin plugin(Config{{"max_message_bytes", "1024"}});
  WsClient bystander(plugin.url());
  bystander.Subscribe("{}");
  WsClient client(plugin.url());
  client.Send(std::string(2048, ' '));
  EXPECT_EQ(client.ReadUntilClosed().code, websocket::close_code::too_big);
  plugin.Publish(kSentinel);
  EXPECT_EQ(ReadEventIdsUntilSentinel(bystander), std::vector<std::string>{"$sentinel"});
}

TEST(ProtocolTest, HttpAnswersOutsideTheUpgrade) {
  RunningPlugin plugin;
  EXPECT_EQ(HttpGet(plugin.url(), "/other").result(), http::status::not_found);
  EXPECT_EQ(HttpGet(plugin.url(), "/events").result(), http::status::upgrade_required);
  EXPECT_THROW(WsClient(plugin.url(), "/elsewhere"), std::exception);
}

TEST(ProtocolTest, NonGetRequestsGet405) {
  RunningPlugin plugin;
  boost::asio::io_context io;
  boost::beast::tcp_stream stream(io);
  const Endpoint endpoint = ParseWsUrl(plugin.url());
  stream.connect(boost::asio::ip::tcp::resolver(io).resolve(endpoint.host, endpoint.port));
  http::request<http::string_body> request(http::verb::post, "/events", 11);
  request.set(http::field::host, endpoint.host);
  request.prepare_payload();
  http::write(stream, request);
  boost::beast::flat_buffer buffer;
  http::response<http::string_body> response;
  http::read(stream, buffer, response);
  EXPECT_EQ(response.result(), http::status::method_not_allowed);
}

TEST(ProtocolTest, ClientThatSendsNoRequestIsDroppedAfterTheHandshakeTimeout) {
  RunningPlugin plugin(Config{{"handshake_timeout", "200ms"}});
  RawConnection silent(plugin.url());
  // The client stays silent; the server must end the connection on its own.
  std::string received;
  EXPECT_EQ(silent.ReadToEnd(received), boost::asio::error::eof);
  EXPECT_EQ(received, "");
}

TEST(ProtocolTest, SocketsBeyondMaxConnectionsPlusTheHandshakeSlackAreClosedAtOnce) {
  constexpr int kSlack = 256;
  RunningPlugin plugin(Config{{"max_connections", "1"}, {"handshake_timeout", "60s"}});
  // Silent connections hold handshake slots without ever becoming WebSocket connections.
  std::vector<std::unique_ptr<RawConnection>> silent;
  for (int i = 0; i < 1 + kSlack; ++i) silent.push_back(std::make_unique<RawConnection>(plugin.url()));
  plugin.AwaitStat("sockets_open", 1 + kSlack);
  RawConnection one_more(plugin.url());
  std::string received;
  EXPECT_EQ(one_more.ReadToEnd(received), boost::asio::error::eof);
  EXPECT_EQ(received, "");
  EXPECT_EQ(plugin.Stat("sockets_open"), static_cast<uint64_t>(1 + kSlack));
  // A slot given back is taken again.
  silent.pop_back();
  plugin.AwaitStat("sockets_open", kSlack);
  WsClient client(plugin.url());
  client.Subscribe("{}");
}

TEST(ProtocolTest, RequestHeadersOver8KiBAreClosedWithoutAnAnswer) {
  RunningPlugin plugin;
  RawConnection oversized(plugin.url());
  oversized.Send(absl::StrCat(
      "GET /events HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n",
      "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nX-Padding: ", std::string(9000, 'p'),
      "\r\n\r\n"));
  std::string received;
  const boost::beast::error_code ended = oversized.ReadToEnd(received);
  // A reset when the server closes with the rest of the request unread.
  EXPECT_TRUE(ended == boost::asio::error::eof || ended == boost::asio::error::connection_reset) << ended.message();
  EXPECT_EQ(received, "");
  // Just under the limit, the same padding is upgraded.
  WsClient fitting(plugin.url(), std::nullopt, {{"X-Padding", std::string(7000, 'p')}});
  fitting.Subscribe("{}");
}

TEST(ProtocolTest, ConnectionsOverMaxConnectionsGet503) {
  RunningPlugin plugin(Config{{"max_connections", "1"}});
  WsClient first(plugin.url());
  const auto response = HttpGet(plugin.url(), "/events",
                                {{"Connection", "Upgrade"},
                                 {"Upgrade", "websocket"},
                                 {"Sec-WebSocket-Version", "13"},
                                 {"Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="}});
  EXPECT_EQ(response.result(), http::status::service_unavailable);
  first.Send(R"({"type":"ping"})");
  EXPECT_EQ(first.Read(), R"({"type":"pong"})");
}

TEST(ProtocolTest, InactiveConnectionIsClosedAndItsSubscriptionsFreed) {
  RunningPlugin plugin(Config{{"inactivity_timeout", "300ms"}});
  WsClient client(plugin.url());
  client.Subscribe("{}");
  const websocket::close_reason reason = client.ReadUntilClosed();
  EXPECT_EQ(reason.code, websocket::close_code::normal);
  EXPECT_EQ(reason.reason, "inactivity timeout");
  EXPECT_EQ(plugin.Stat("subscriptions_active"), 0u);
}

TEST(ProtocolTest, ApplicationPingsKeepAConnectionAlive) {
  RunningPlugin plugin(Config{{"inactivity_timeout", "2s"}});
  WsClient client(plugin.url());
  client.Subscribe("{}");
  // Pinging every tenth of the timeout for one and a half timeouts: each ping must find the connection open.
  for (int i = 0; i < 15; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    client.Send(R"({"type":"ping"})");
    ASSERT_EQ(client.Read(), R"({"type":"pong"})") << "ping " << i;
  }
  EXPECT_EQ(plugin.Stat("inactive_disconnected"), 0u);
}

TEST(ProtocolTest, PeerThatStopsAnsweringKeepAlivePingsIsClosed) {
  RunningPlugin plugin(Config{{"ping_interval", "100ms"}, {"handshake_timeout", "300ms"}});
  WsClient client(plugin.url());
  client.Subscribe("{}");
  // The client reads nothing, so it answers no ping: the server gives up on it by itself.
  plugin.AwaitStat("connections_open", 0);
  const websocket::close_reason reason = client.ReadUntilClosed();
  EXPECT_EQ(reason.code, websocket::close_code::going_away);
  EXPECT_EQ(reason.reason, "keep-alive ping unanswered");
}

TEST(ProtocolTest, AnsweringPeerIsKeptByKeepAlivePings) {
  RunningPlugin plugin(Config{{"ping_interval", "300ms"}});
  WsClient client(plugin.url());
  client.Subscribe("{}");
  // While the client waits in a read it answers the server's pings; several intervals later an event
  // still reaches it over the same connection.
  std::thread publisher([&plugin] {
    std::this_thread::sleep_for(std::chrono::seconds(2));
    plugin.Publish(kSentinel);
  });
  const boost::json::value event = client.ReadJson();
  publisher.join();
  EXPECT_EQ(event.at("data").at("event").at("event_id"), "$sentinel");
  EXPECT_EQ(plugin.Stat("connections_open"), 1u);
}

TEST(ProtocolTest, StopSendsGoingAwayAndPublishingAfterIsHarmless) {
  auto plugin = std::make_unique<RunningPlugin>();
  WsClient client(plugin->url());
  client.Subscribe("{}");
  auto closed = std::async(std::launch::async, [&client] { return client.ReadUntilClosed(); });
  ASSERT_TRUE(plugin->instance().Stop(5000).ok());
  const websocket::close_reason reason = closed.get();
  EXPECT_EQ(reason.code, websocket::close_code::going_away);
  std::string error;
  EXPECT_EQ(plugin->instance().Publish(kSentinel, &error), ACEB_BAD_STATE);
}

}  // namespace
}  // namespace armorclaw::eventbus::testing
