// permessage-deflate (RFC 7692) through the real .so on real sockets: what the 101 answers to each kind
// of offer, and frames read byte by byte and inflated with zlib, as a client library would.
#include <memory>
#include <string>
#include <vector>

#include "boost/json/parse.hpp"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/raw_connection.h"
#include "tests/support/client_frames.h"
#include "tests/support/deflate_frames.h"
#include "tests/support/running_plugin.h"
#include "tests/support/ws_client.h"

namespace armorclaw::eventbus::testing {
namespace {

using Config = host::ConfigEntries;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

constexpr std::string_view kAccepted =
    "Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover; client_no_context_takeover";

// A client on a raw socket that sends `extensions` (empty: no header) in its upgrade request.
class DeflateClient {
 public:
  DeflateClient(const std::string& url, std::string_view extensions) : raw_(url) {
    raw_.Send(UpgradeRequest("/events", extensions.empty()
                                            ? std::string()
                                            : "Sec-WebSocket-Extensions: " + std::string(extensions) + "\r\n"));
    handshake_ = raw_.ReadHttpHeader();
    EXPECT_THAT(handshake_, StartsWith("HTTP/1.1 101"));
  }

  const std::string& handshake() const { return handshake_; }
  void Send(std::string_view text) { raw_.Send(ClientFrame(0x1, text)); }
  void SendBytes(std::string_view bytes) { raw_.Send(bytes); }
  // A text message compressed as RFC 7692 section 7.2.1 says: RSV1 on the frame.
  void SendCompressed(std::string_view text) {
    std::string frame = ClientFrame(0x1, DeflateMessage(text));
    frame[0] = static_cast<char>(frame[0] | 0x40);
    raw_.Send(frame);
  }
  ServerFrame ReadFrame() {
    std::string header = raw_.ReadExactly(2);
    header += raw_.ReadExactly(ServerFrameHeaderSize(static_cast<uint8_t>(header[1])) - 2);
    return {static_cast<uint8_t>(header[0]), raw_.ReadExactly(ServerFramePayloadSize(header))};
  }
  // The next message's text, inflated if it came compressed.
  std::string ReadMessage(int window_bits = 15) {
    ServerFrame frame = ReadFrame();
    EXPECT_EQ(frame.first_byte & 0x0F, 0x1) << "a text frame";
    return frame.compressed() ? InflateMessage(frame.payload, window_bits) : frame.payload;
  }
  void Subscribe() {
    Send(R"({"type":"subscribe","data":{"filter":{}}})");
    EXPECT_EQ(boost::json::parse(ReadMessage()).at("type"), "subscribed");
  }
  // The close code of the close frame the server sends next.
  uint16_t ReadCloseCode() {
    const ServerFrame close = ReadFrame();
    EXPECT_EQ(close.first_byte, 0x88);
    if (close.payload.size() < 2) return 0;
    const auto byte = [&](size_t i) { return static_cast<uint8_t>(close.payload[i]); };
    return static_cast<uint16_t>((byte(0) << 8) | byte(1));
  }

 private:
  RawConnection raw_;
  std::string handshake_;
};

std::vector<std::string> SpecEvents() { return ReadLines(TestDataPath("matrix-spec-room-events.jsonl")); }

TEST(CompressionTest, OfferingClientReceivesCompressedFramesOfExactlyTheEventsInOrder) {
  RunningPlugin plugin;
  DeflateClient compressed(plugin.url(), "permessage-deflate; client_max_window_bits");
  EXPECT_THAT(compressed.handshake(), HasSubstr(std::string(kAccepted) + "\r\n"));
  WsClient plain(plugin.url());
  compressed.Subscribe();
  plain.Subscribe("");
  const std::vector<std::string> events = SpecEvents();
  for (const std::string& event : events) plugin.Publish(event);
  size_t compressed_frames = 0;
  size_t compressed_bytes = 0;
  size_t plain_bytes = 0;
  for (size_t i = 0; i < events.size(); ++i) {
    const ServerFrame frame = compressed.ReadFrame();
    const std::string message = frame.compressed() ? InflateMessage(frame.payload, 15) : frame.payload;
    // Byte for byte what a client without compression receives.
    const std::string expected = plain.Read();
    EXPECT_EQ(message, expected) << "event " << i;
    if (frame.compressed()) ++compressed_frames;
    compressed_bytes += frame.payload.size();
    plain_bytes += expected.size();
  }
  EXPECT_GT(compressed_frames, events.size() / 2) << "most spec events are over the 256-byte threshold";
  EXPECT_LT(compressed_bytes * 10, plain_bytes * 7) << compressed_bytes << " vs " << plain_bytes;
}

// The compressed frames an event gets at delivery stay with it in the history, so they count against
// history_max_bytes: what the history reports is at least the plain messages and the compressed payloads
// of the events it retains, and still within the bound.
TEST(CompressionTest, TheHistoryBoundCountsTheRetainedEventsCompressedFrames) {
  constexpr uint64_t kBound = 12000;  // About half the spec events' plain frames.
  RunningPlugin plugin(Config{{"history_max_bytes", std::to_string(kBound)}});
  DeflateClient client(plugin.url(), "permessage-deflate");
  client.Subscribe();
  const std::vector<std::string> events = SpecEvents();
  for (const std::string& event : events) plugin.Publish(event);
  std::vector<size_t> held;  // Per event: its plain message and its compressed payload, as received.
  for (size_t i = 0; i < events.size(); ++i) {
    const ServerFrame frame = client.ReadFrame();
    held.push_back(frame.compressed() ? InflateMessage(frame.payload, 15).size() + frame.payload.size()
                                      : frame.payload.size());
  }
  // The last event has arrived, so its batch's history is in the stats.
  const uint64_t retained = plugin.Stat("history_events");
  ASSERT_GT(retained, 0u);
  ASSERT_LT(retained, events.size()) << "the bound must drop some";
  uint64_t at_least = 0;
  for (size_t i = events.size() - retained; i < events.size(); ++i) at_least += held[i];
  EXPECT_GE(plugin.Stat("history_bytes"), at_least);
  EXPECT_LE(plugin.Stat("history_bytes"), kBound);
}

TEST(CompressionTest, EveryCompressingReceiverGetsTheSameBytes) {
  RunningPlugin plugin;
  DeflateClient first(plugin.url(), "permessage-deflate");
  DeflateClient second(plugin.url(), "permessage-deflate; client_max_window_bits=10");
  first.Subscribe();
  second.Subscribe();
  const std::string event = SpecEvents().at(0);
  plugin.Publish(event);
  const ServerFrame a = first.ReadFrame();
  const ServerFrame b = second.ReadFrame();
  EXPECT_TRUE(a.compressed());
  EXPECT_EQ(a.first_byte, b.first_byte);
  EXPECT_EQ(a.payload, b.payload);
}

TEST(CompressionTest, ClientOfferingNothingGetsPlainFrames) {
  RunningPlugin plugin;
  DeflateClient client(plugin.url(), "");
  EXPECT_THAT(client.handshake(), Not(HasSubstr("Sec-WebSocket-Extensions")));
  client.Subscribe();
  for (const std::string& event : SpecEvents()) {
    plugin.Publish(event);
    const ServerFrame frame = client.ReadFrame();
    EXPECT_EQ(frame.first_byte, 0x81);
    EXPECT_EQ(boost::json::parse(frame.payload).at("type"), "event");
  }
}

TEST(CompressionTest, CompressionFalseDeclinesEveryOffer) {
  RunningPlugin plugin(Config{{"compression", "false"}});
  DeflateClient client(plugin.url(), "permessage-deflate; client_max_window_bits");
  EXPECT_THAT(client.handshake(), Not(HasSubstr("Sec-WebSocket-Extensions")));
  client.Subscribe();
  plugin.Publish(SpecEvents().at(0));
  EXPECT_EQ(client.ReadFrame().first_byte, 0x81);
  // A compressed message on a connection that negotiated nothing is a protocol error (RSV1 unnegotiated).
  client.SendCompressed(R"({"type":"ping"})");
  const ServerFrame close = client.ReadFrame();
  EXPECT_EQ(close.first_byte, 0x88);
  EXPECT_EQ(close.payload.substr(0, 2), std::string("\x03\xea", 2)) << "1002";
}

// RFC 7692 section 7: what the 101 says to each offer.
TEST(CompressionTest, NegotiationAnswersFollowRfc7692Section7) {
  RunningPlugin plugin;
  const auto answer = [&](std::string_view offer) {
    DeflateClient client(plugin.url(), offer);
    const std::string& header = client.handshake();
    const size_t start = header.find("Sec-WebSocket-Extensions: ");
    if (start == std::string::npos) return std::string("(declined)");
    return header.substr(start, header.find("\r\n", start) - start);
  };
  EXPECT_EQ(answer("permessage-deflate; client_max_window_bits"), kAccepted);
  EXPECT_EQ(answer("permessage-deflate; server_max_window_bits=10"),
            std::string(kAccepted) + "; server_max_window_bits=10");
  EXPECT_EQ(answer("permessage-deflate; server_max_window_bits=7"), "(declined)");
  EXPECT_EQ(answer("permessage-deflate; server_max_window_bits=16"), "(declined)");
  EXPECT_EQ(answer("permessage-deflate; server_no_context_takeover; server_no_context_takeover"), "(declined)");
  EXPECT_EQ(answer("permessage-deflate; unknown_parameter"), "(declined)");
  EXPECT_EQ(answer("x-webkit-deflate-frame"), "(declined)");
  EXPECT_EQ(answer("permessage-deflate; server_max_window_bits=16, permessage-deflate; server_max_window_bits=9"),
            std::string(kAccepted) + "; server_max_window_bits=9");
}

// A client that allowed the server a 1 KiB window can inflate every frame with that window: zlib refuses
// a distance beyond it ("invalid distance too far back").
TEST(CompressionTest, FramesRespectTheWindowTheClientAllowed) {
  RunningPlugin plugin;
  for (const int bits : {8, 10}) {
    DeflateClient small(plugin.url(), "permessage-deflate; server_max_window_bits=" + std::to_string(bits));
    WsClient plain(plugin.url());
    small.Subscribe();
    plain.Subscribe("");
    for (const std::string& event : SpecEvents()) {
      plugin.Publish(event);
      EXPECT_EQ(small.ReadMessage(bits), plain.Read());
    }
  }
}

TEST(CompressionTest, CompressedClientMessagesAreInflated) {
  RunningPlugin plugin;
  DeflateClient client(plugin.url(), "permessage-deflate");
  client.SendCompressed(R"({"type":"subscribe","data":{"filter":{"types":["m.room.message"]}}})");
  EXPECT_EQ(boost::json::parse(client.ReadMessage()).at("type"), "subscribed");
  client.SendCompressed(R"({"type":"ping"})");
  EXPECT_EQ(boost::json::parse(client.ReadMessage()).at("type"), "pong");
}

// A deflate bomb: 10 MB of spaces in about 10 KB. What counts against max_message_bytes is the inflated
// size, so the connection is closed with 1009 once the message passes it.
TEST(CompressionTest, DeflateBombIsClosedWith1009) {
  RunningPlugin plugin(Config{{"max_message_bytes", "65536"}});
  DeflateClient client(plugin.url(), "permessage-deflate");
  const std::string bomb = R"({"type":"ping","padding":")" + std::string(10'000'000, ' ') + R"("})";
  ASSERT_LT(DeflateMessage(bomb).size(), 65536u) << "the compressed bomb itself is under the limit";
  client.SendCompressed(bomb);
  const ServerFrame close = client.ReadFrame();
  EXPECT_EQ(close.first_byte, 0x88);
  EXPECT_EQ(close.payload.substr(0, 2), std::string("\x03\xf1", 2)) << "1009";
  plugin.AwaitStat("connections_open", 0);
}

// A compressed text message in `pieces` frames, RSV1 on the first only (RFC 7692 section 6.1).
std::vector<std::string> CompressedFragments(std::string_view text, size_t pieces) {
  const std::string payload = DeflateMessage(text);
  const size_t step = (payload.size() + pieces - 1) / pieces;
  std::vector<std::string> frames;
  for (size_t at = 0; at < payload.size(); at += step) {
    const uint8_t first_byte = (at + step >= payload.size() ? 0x80 : 0) | (at == 0 ? 0x40 | 0x1 : 0x0);
    frames.push_back(HandMadeFrame(first_byte, std::string_view(payload).substr(at, step)));
  }
  return frames;
}

TEST(CompressionTest, CompressedSubscribeSplitOverFramesWithAPingBetweenWorks) {
  RunningPlugin plugin;
  DeflateClient client(plugin.url(), "permessage-deflate");
  const std::vector<std::string> frames = CompressedFragments(R"({"type":"subscribe","data":{"filter":{}}})", 3);
  ASSERT_EQ(frames.size(), 3u);
  // Each frame a write of its own, the ping between two fragments (control frames may interleave).
  client.SendBytes(frames[0]);
  client.SendBytes(HandMadeFrame(0x80 | 0x9, "between"));
  client.SendBytes(frames[1]);
  client.SendBytes(frames[2]);
  const ServerFrame pong = client.ReadFrame();
  EXPECT_EQ(pong.first_byte, 0x8A);
  EXPECT_EQ(pong.payload, "between");
  EXPECT_EQ(boost::json::parse(client.ReadMessage()).at("type"), "subscribed");
  const std::string event = SpecEvents().at(0);
  plugin.Publish(event);
  EXPECT_EQ(boost::json::parse(client.ReadMessage()).at("type"), "event");
}

TEST(CompressionTest, CorruptCompressedDataIsClosedWith1007) {
  RunningPlugin plugin;
  DeflateClient client(plugin.url(), "permessage-deflate");
  client.Subscribe();
  // 0xFF starts a deflate block of the reserved type 3 (RFC 1951 section 3.2.3): it does not inflate.
  client.SendBytes(HandMadeFrame(0x80 | 0x40 | 0x1, "ÿÿÿÿ"));
  EXPECT_EQ(client.ReadCloseCode(), 1007);
  plugin.AwaitStat("connections_open", 0);
}

// 10 MB of zeros in about 10 kB, in several frames: the connection is closed with 1009 once the inflated
// message passes max_message_bytes, and the server goes on serving the others.
TEST(CompressionTest, DeflateBombInFragmentsIsClosedWith1009AndOthersKeepReceiving) {
  RunningPlugin plugin;
  WsClient other(plugin.url());
  other.Subscribe("");
  DeflateClient client(plugin.url(), "permessage-deflate");
  std::string bomb;
  for (const std::string& frame : CompressedFragments(std::string(10'000'000, '\0'), 8)) bomb += frame;
  ASSERT_LT(bomb.size(), 65536u) << "the compressed bomb itself is under max_message_bytes";
  client.SendBytes(bomb);
  EXPECT_EQ(client.ReadCloseCode(), 1009);
  const std::string event = SpecEvents().at(0);
  plugin.Publish(event);
  EXPECT_EQ(boost::json::parse(other.Read()).at("type"), "event");
  plugin.AwaitStat("connections_open", 1);
}

TEST(CompressionTest, ReplayedEventsAreCompressedToo) {
  RunningPlugin plugin;
  WsClient first(plugin.url());
  first.Send(R"({"type":"subscribe","data":{"filter":{}}})");
  const std::string epoch(first.ReadJson().at("data").at("epoch").as_string());
  const std::vector<std::string> events = SpecEvents();
  std::vector<std::string> expected;
  for (const std::string& event : events) {
    plugin.Publish(event);
    expected.push_back(first.Read());
  }
  DeflateClient resumed(plugin.url(), "permessage-deflate");
  resumed.Send(R"({"type":"subscribe","data":{"filter":{},"since":{"epoch":")" + epoch + R"(","sequence":0}}})");
  EXPECT_EQ(boost::json::parse(resumed.ReadMessage()).at("type"), "subscribed");
  size_t compressed = 0;
  for (const std::string& message : expected) {
    const ServerFrame frame = resumed.ReadFrame();
    compressed += frame.compressed();
    EXPECT_EQ(frame.compressed() ? InflateMessage(frame.payload, 15) : frame.payload, message);
  }
  EXPECT_GT(compressed, 0u);
}

}  // namespace
}  // namespace armorclaw::eventbus::testing
