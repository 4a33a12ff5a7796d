// wss:// through the real .so: a Beast client over OpenSSL with a certificate the test makes with the
// openssl command, and the errors start gives for bad certificate files. The client counts the TLS records
// it receives, from their headers on the wire, to show that a batch of events is encrypted together.
#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <cmath>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "boost/asio/connect.hpp"
#include "boost/asio/write.hpp"
#include "boost/asio/ip/tcp.hpp"
#include "boost/asio/ssl.hpp"
#include "boost/beast/core/buffers_range.hpp"
#include "boost/beast/core/buffers_to_string.hpp"
#include "boost/beast/core/flat_buffer.hpp"
#include "boost/beast/websocket.hpp"
#include "boost/beast/websocket/ssl.hpp"
#include "boost/json/parse.hpp"
#include "boost/json/serialize.hpp"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/reader_window.h"
#include "tests/support/running_plugin.h"
#include "tests/support/slow_consumer_goodbye.h"
#include "tests/support/ws_client.h"

namespace armorclaw::eventbus::testing {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = boost::beast::websocket;
using Config = host::ConfigEntries;

class TlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / absl::StrCat("eventbus-tls-", ::getpid());
    std::filesystem::create_directories(dir_);
    for (const char* name : {"a", "b"}) {
      const std::string command = absl::StrCat(
          "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost -addext "
          "subjectAltName=IP:127.0.0.1 -keyout ", Path(name, "key"), " -out ", Path(name, "cert"), " 2>/dev/null");
      ASSERT_EQ(std::system(command.c_str()), 0) << command;
    }
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string Path(std::string_view name, std::string_view kind) const {
    return (dir_ / absl::StrCat(std::string(name), "-", std::string(kind), ".pem")).string();
  }

  // Start's error for a plugin configured with these files.
  std::string StartError(const std::string& cert, const std::string& key) {
    LogCapture logs;
    auto library = host::PluginLibrary::Open(PluginPath());
    EXPECT_TRUE(library.ok());
    auto plugin = host::PluginInstance::Create(
        *library, logs.Host(), {{"websocket_addr", "127.0.0.1:0"}, {"tls_cert_file", cert}, {"tls_key_file", key}});
    EXPECT_TRUE(plugin.ok()) << plugin.status();
    const absl::Status started = plugin->Start();
    EXPECT_EQ(host::AcebStatusOf(started), ACEB_IO_ERROR);
    return std::string(started.message());
  }

  std::filesystem::path dir_;
};

// A TCP socket that counts the TLS records it reads, by their headers, which TLS sends in the clear
// (content type 1 byte, version 2, length 2), and skipping their bodies. Synchronous use only.
class RecordCountingSocket {
 public:
  using executor_type = asio::ip::tcp::socket::executor_type;
  using next_layer_type = asio::ip::tcp::socket;
  using lowest_layer_type = asio::ip::tcp::socket::lowest_layer_type;

  explicit RecordCountingSocket(asio::io_context& io) : socket_(io) {}
  executor_type get_executor() { return socket_.get_executor(); }
  next_layer_type& next_layer() { return socket_; }
  lowest_layer_type& lowest_layer() { return socket_.lowest_layer(); }
  uint64_t records() const { return records_; }

  template <typename Buffers>
  size_t read_some(const Buffers& buffers, boost::system::error_code& error) {
    const size_t bytes = socket_.read_some(buffers, error);
    size_t left = bytes;
    for (const auto buffer : beast::buffers_range_ref(buffers)) {
      const auto* data = static_cast<const unsigned char*>(buffer.data());
      const size_t size = std::min(left, buffer.size());
      for (size_t i = 0; i < size;) {
        if (body_left_ > 0) {
          const size_t skipped = std::min(body_left_, size - i);
          body_left_ -= skipped;
          i += skipped;
          continue;
        }
        header_[header_bytes_++] = data[i++];
        if (header_bytes_ == 5) {
          ++records_;
          body_left_ = (size_t{header_[3]} << 8) | header_[4];
          header_bytes_ = 0;
        }
      }
      left -= size;
    }
    return bytes;
  }
  template <typename Buffers>
  size_t read_some(const Buffers& buffers) {
    boost::system::error_code error;
    const size_t bytes = read_some(buffers, error);
    if (error) throw boost::system::system_error(error);
    return bytes;
  }
  template <typename Buffers>
  size_t write_some(const Buffers& buffers, boost::system::error_code& error) {
    return socket_.write_some(buffers, error);
  }
  template <typename Buffers>
  size_t write_some(const Buffers& buffers) {
    return socket_.write_some(buffers);
  }

 private:
  asio::ip::tcp::socket socket_;
  unsigned char header_[5] = {};
  size_t header_bytes_ = 0;
  size_t body_left_ = 0;
  uint64_t records_ = 0;
};

// Ends a client's close handshake: Beast's teardown of the TLS stream sends close_notify, then this.
void teardown(beast::role_type role, RecordCountingSocket& socket, boost::system::error_code& error) {
  websocket::teardown(role, socket.next_layer(), error);
}

// A Beast wss:// client that trusts only the certificate in `trusted`, subscribed with `subscribe_data`
// (every event, by default).
class BeastTlsClient {
 public:
  BeastTlsClient(const std::string& url, const std::string& trusted,
                 const std::string& subscribe_data = R"({"filter":{}})", bool offer_deflate = false)
      : ws_(io_, tls_) {
    const std::string port = url.substr(16, url.rfind('/') - 16);  // After "wss://127.0.0.1:".
    tls_.load_verify_file(trusted);
    // On the stream: OpenSSL copied the context's verify mode when the stream was made.
    ws_.next_layer().set_verify_mode(asio::ssl::verify_peer);
    asio::connect(beast::get_lowest_layer(ws_), asio::ip::tcp::resolver(io_).resolve("127.0.0.1", port));
    ws_.next_layer().set_verify_callback(asio::ssl::host_name_verification("127.0.0.1"));
    ws_.next_layer().handshake(asio::ssl::stream_base::client);
    if (offer_deflate) {
      websocket::permessage_deflate deflate;
      deflate.client_enable = true;
      ws_.set_option(deflate);
    }
    websocket::response_type response;
    ws_.handshake(response, "127.0.0.1:" + port, "/events");
    extensions_ = std::string(response[beast::http::field::sec_websocket_extensions]);
    records_before_subscribe_ = records();
    ws_.write(asio::buffer(absl::StrCat(R"({"type":"subscribe","data":)", subscribe_data, "}")));
    const boost::json::value reply = ReadJson();
    EXPECT_EQ(reply.at("type"), "subscribed");
    subscribed_ = reply.at("data").as_object();
  }

  boost::json::value ReadJson() { return boost::json::parse(ReadText()); }
  std::string ReadText() {
    beast::flat_buffer buffer;
    ws_.read(buffer);
    return beast::buffers_to_string(buffer.data());
  }
  void Send(std::string_view text) { ws_.write(asio::buffer(text.data(), text.size())); }
  void Close() { ws_.close(websocket::close_code::normal); }
  // What the 101 said in Sec-WebSocket-Extensions.
  const std::string& extensions() const { return extensions_; }
  // Bytes written as they are, encrypted, past the client's own framing.
  void SendRaw(std::string_view bytes) { asio::write(ws_.next_layer(), asio::buffer(bytes.data(), bytes.size())); }
  // Reads until the server closes; the code of its close frame.
  uint16_t ReadCloseCode() {
    beast::flat_buffer buffer;
    beast::error_code error;
    ws_.read(buffer, error);
    EXPECT_TRUE(error) << "a message instead of the close";
    return ws_.reason().code;
  }
  const boost::json::object& subscribed() const { return subscribed_; }
  // TLS records received so far, and before the subscribe was sent.
  uint64_t records() const { return ws_.next_layer().next_layer().records(); }
  uint64_t records_before_subscribe() const { return records_before_subscribe_; }
  websocket::stream<asio::ssl::stream<RecordCountingSocket>>& stream() { return ws_; }

 private:
  asio::io_context io_;
  asio::ssl::context tls_{asio::ssl::context::tls_client};
  websocket::stream<asio::ssl::stream<RecordCountingSocket>> ws_;
  uint64_t records_before_subscribe_ = 0;
  boost::json::object subscribed_;
  std::string extensions_;
};

std::string MessageEvent(int number, const std::string& body) {
  return absl::StrCat(R"({"type":"m.room.message","room_id":"!r:x","sender":"@a:x","event_id":"$e)", number,
                      R"(","content":{"body":")", body, R"("}})");
}

TEST_F(TlsTest, BeastClientOverOpenSslReceivesEvents) {
  RunningPlugin plugin(Config{{"tls_cert_file", Path("a", "cert")}, {"tls_key_file", Path("a", "key")}});
  ASSERT_THAT(plugin.url(), ::testing::StartsWith("wss://127.0.0.1:"));
  BeastTlsClient client(plugin.url(), Path("a", "cert"));
  const std::string event = R"({"type":"m.room.message","room_id":"!r:x","sender":"@a:x","content":{"body":"tls"}})";
  plugin.Publish(event);
  EXPECT_EQ(client.ReadJson().at("data").at("event"), boost::json::parse(event));
  client.Close();
}

// Over wss:// the events already handed to TLS cannot be dropped (the client's TLS needs every record), so
// the slow_consumer error follows them and names the last of them: still the last event the client reads,
// and a cursor from which a resume loses nothing.
TEST_F(TlsTest, ACutSlowConsumerIsToldTheLastEventItReadsAndResumesFromIt) {
  RunningPlugin plugin(Config{{"tls_cert_file", Path("a", "cert")},
                              {"tls_key_file", Path("a", "key")},
                              {"max_queue_bytes", "131072"},
                              {"handshake_timeout", "60s"}});
  BeastTlsClient stalled(plugin.url(), Path("a", "cert"));
  const std::string epoch(stalled.subscribed().at("epoch").as_string());
  const int published = plugin.PublishUntilSlowConsumerCut(5);
  ASSERT_EQ(plugin.Stat("slow_consumers_disconnected"), 1u);

  std::vector<uint64_t> received;
  boost::json::value error;
  for (;;) {
    const boost::json::value message = stalled.ReadJson();
    if (message.at("type") != "event") {
      error = message;
      break;
    }
    received.push_back(message.at("data").at("sequence").to_number<uint64_t>());
    ASSERT_EQ(received.back(), received.size());
  }
  ASSERT_EQ(error.at("data").at("code"), "slow_consumer") << boost::json::serialize(error);
  ASSERT_FALSE(received.empty());
  const uint64_t cursor = error.at("data").at("sequence").to_number<uint64_t>();
  EXPECT_EQ(cursor, received.back());
  EXPECT_EQ(stalled.ReadCloseCode(), websocket::close_code::policy_error);

  BeastTlsClient again(plugin.url(), Path("a", "cert"),
                       absl::StrCat(R"({"filter":{},"since":{"sequence":)", cursor, R"(,"epoch":")", epoch, R"("}})"));
  EXPECT_EQ(again.subscribed().at("recovered"), true);
  while (received.size() < static_cast<size_t>(published)) {
    received.push_back(again.ReadJson().at("data").at("sequence").to_number<uint64_t>());
    ASSERT_EQ(received.back(), received.size());
  }
}

// permessage-deflate over wss://: the shared compressed frames go through TLS, and Beast's client inflates
// them to exactly what a client without compression receives.
TEST_F(TlsTest, CompressedEventsOverTls) {
  RunningPlugin plugin(Config{{"tls_cert_file", Path("a", "cert")}, {"tls_key_file", Path("a", "key")}});
  BeastTlsClient compressed(plugin.url(), Path("a", "cert"), R"({"filter":{}})", /*offer_deflate=*/true);
  BeastTlsClient plain(plugin.url(), Path("a", "cert"));
  // Beast's client offers server_max_window_bits=15, which the answer repeats.
  EXPECT_EQ(compressed.extensions(),
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=15");
  EXPECT_EQ(plain.extensions(), "");
  const std::vector<std::string> events = ReadLines(TestDataPath("matrix-spec-room-events.jsonl"));
  for (const std::string& event : events) plugin.Publish(event);
  for (size_t i = 0; i < events.size(); ++i) EXPECT_EQ(compressed.ReadJson(), plain.ReadJson()) << "event " << i;
  compressed.Close();
  plain.Close();
}

// RFC 6455 section 5.2 over wss://: the frame guard under Beast judges the decrypted bytes, and the close it
// sends in Beast's place goes out encrypted.
TEST_F(TlsTest, LengthWithTheMostSignificantBitSetIsClosedWith1002) {
  RunningPlugin plugin(Config{{"tls_cert_file", Path("a", "cert")}, {"tls_key_file", Path("a", "key")}});
  BeastTlsClient client(plugin.url(), Path("a", "cert"));
  client.SendRaw(std::string("\x81\xFF\x80\x00\x00\x00\x00\x00\x00\x05\x01\x02\x03\x04", 14));
  EXPECT_EQ(client.ReadCloseCode(), websocket::close_code::protocol_error);
  plugin.AwaitStat("connections_open", 0);
}

TEST_F(TlsTest, ARenewedCertificateIsServedWithoutARestart) {
  // The plugin reads its own copies, which the test replaces the way an operator installs a renewal.
  std::filesystem::copy_file(Path("a", "cert"), Path("live", "cert"));
  std::filesystem::copy_file(Path("a", "key"), Path("live", "key"));
  RunningPlugin plugin(Config{{"tls_cert_file", Path("live", "cert")}, {"tls_key_file", Path("live", "key")}});
  BeastTlsClient before(plugin.url(), Path("a", "cert"));

  for (const char* kind : {"key", "cert"}) {
    std::filesystem::copy_file(Path("b", kind), Path("next", kind));
    std::filesystem::rename(Path("next", kind), Path("live", kind));
  }
  plugin.AwaitStat("tls_reloads", 1);
  // New connections get the new certificate: a client trusting only the old one fails its handshake.
  EXPECT_THROW(BeastTlsClient(plugin.url(), Path("a", "cert")), boost::system::system_error);
  BeastTlsClient after(plugin.url(), Path("b", "cert"));
  // The connection made before the renewal goes on.
  const std::string event = R"({"type":"m.room.message","room_id":"!r:x","sender":"@a:x","content":{"body":"renewed"}})";
  plugin.Publish(event);
  EXPECT_EQ(before.ReadJson().at("data").at("event"), boost::json::parse(event));
  EXPECT_EQ(after.ReadJson().at("data").at("event"), boost::json::parse(event));
  before.Close();
  after.Close();
}

TEST_F(TlsTest, AMismatchedRenewalKeepsThePreviousCertificate) {
  std::filesystem::copy_file(Path("a", "cert"), Path("live", "cert"));
  std::filesystem::copy_file(Path("a", "key"), Path("live", "key"));
  RunningPlugin plugin(Config{{"tls_cert_file", Path("live", "cert")}, {"tls_key_file", Path("live", "key")}});
  // Only the key is replaced: it does not belong to the certificate.
  std::filesystem::copy_file(Path("b", "key"), Path("next", "key"));
  std::filesystem::rename(Path("next", "key"), Path("live", "key"));
  plugin.AwaitStat("tls_reload_failures", 1);
  EXPECT_THAT(plugin.logs().lines(),
              ::testing::Contains(::testing::AllOf(::testing::HasSubstr("cannot reload the TLS files"),
                                                   ::testing::HasSubstr("key values mismatch"))));
  BeastTlsClient still(plugin.url(), Path("a", "cert"));
  still.Close();
}

// The TLS handshake of a client that offers exactly `version`; empty when it succeeds, else OpenSSL's reason.
std::string HandshakeWith(const std::string& url, int version) {
  asio::io_context io;
  asio::ssl::context tls(asio::ssl::context::tls_client);
  // Security level 0 lets the client offer TLS 1.1 at all, so that a refusal is the server's.
  SSL_CTX_set_security_level(tls.native_handle(), 0);
  SSL_CTX_set_min_proto_version(tls.native_handle(), version);
  SSL_CTX_set_max_proto_version(tls.native_handle(), version);
  asio::ssl::stream<asio::ip::tcp::socket> stream(io, tls);
  asio::connect(stream.next_layer(),
                asio::ip::tcp::resolver(io).resolve("127.0.0.1", url.substr(16, url.rfind('/') - 16)));
  boost::system::error_code error;
  stream.handshake(asio::ssl::stream_base::client, error);
  return error ? error.message() : "";
}

TEST_F(TlsTest, Tls11IsRefusedAndTls12Accepted) {
  RunningPlugin plugin(Config{{"tls_cert_file", Path("a", "cert")}, {"tls_key_file", Path("a", "key")}});
  EXPECT_THAT(HandshakeWith(plugin.url(), TLS1_1_VERSION), ::testing::HasSubstr("alert protocol version"));
  EXPECT_EQ(HandshakeWith(plugin.url(), TLS1_2_VERSION), "");
  EXPECT_EQ(HandshakeWith(plugin.url(), TLS1_3_VERSION), "");
}

TEST_F(TlsTest, PlainClientCannotTalkToATlsListener) {
  RunningPlugin plugin(Config{{"tls_cert_file", Path("a", "cert")}, {"tls_key_file", Path("a", "key")}});
  // The server expects a TLS ClientHello; a plain upgrade request fails the handshake.
  EXPECT_THROW(WsClient(absl::StrCat("ws://", plugin.url().substr(6))), std::exception);
}

TEST_F(TlsTest, MissingOrMismatchedFilesMakeStartFailNamingThem) {
  EXPECT_THAT(StartError(Path("none", "cert"), Path("a", "key")),
              ::testing::HasSubstr("cannot load tls_cert_file \"" + Path("none", "cert") + "\""));
  EXPECT_THAT(StartError(Path("a", "cert"), Path("none", "key")),
              ::testing::HasSubstr("cannot load tls_key_file \"" + Path("none", "key") + "\""));
  // OpenSSL checks the key against the certificate as it loads it.
  EXPECT_THAT(StartError(Path("a", "cert"), Path("b", "key")),
              ::testing::AllOf(::testing::HasSubstr("cannot load tls_key_file \"" + Path("b", "key") + "\""),
                               ::testing::HasSubstr("key values mismatch")));
  EXPECT_THAT(StartError(Path("a", "key"), Path("a", "key")), ::testing::HasSubstr("cannot load tls_cert_file"));
}

TEST_F(TlsTest, AnEncryptedKeyFailsStartInsteadOfAskingForAPassphrase) {
  const std::string command = absl::StrCat("openssl pkey -in ", Path("a", "key"), " -aes256 -passout pass:secret -out ",
                                           Path("encrypted", "key"));
  ASSERT_EQ(std::system(command.c_str()), 0) << command;
  // OpenSSL is given an empty passphrase, so decryption fails at once; left to ask for one itself, it would
  // read the terminal (blocking start) or fail with "processing error (UI routines)" without one. OpenSSL's
  // own reason varies (usually "bad decrypt"; one time in 256 the wrong key passes the padding check and
  // the decoder fails), so the plugin says what happened itself.
  EXPECT_THAT(StartError(Path("a", "cert"), Path("encrypted", "key")),
              ::testing::AllOf(::testing::HasSubstr("cannot load tls_key_file \"" + Path("encrypted", "key") +
                                                    "\": the key is encrypted and no passphrase can be given: "
                                                    "store it unencrypted ("),
                               ::testing::Not(::testing::HasSubstr("UI routines"))));
}

// The size of the unmasked frame that carries `payload` bytes.
size_t FrameSize(size_t payload) { return payload + (payload < 126 ? 2 : payload < 65536 ? 4 : 10); }

// A replay is queued at once and sent with one flush: over TLS its frames go out encrypted together, in
// full records, not one record per event, and arrive whole and in order.
TEST_F(TlsTest, ABatchOfEventsIsEncryptedInFullRecordsAndArrivesInOrder) {
  constexpr int kEvents = 500;
  RunningPlugin plugin(Config{{"tls_cert_file", Path("a", "cert")}, {"tls_key_file", Path("a", "key")}});
  BeastTlsClient live(plugin.url(), Path("a", "cert"));
  for (int i = 1; i <= kEvents; ++i) plugin.Publish(MessageEvent(i, std::string(200, 'a' + i % 26)));
  for (int i = 1; i <= kEvents; ++i) ASSERT_EQ(live.ReadJson().at("data").at("sequence"), i);

  const std::string since = absl::StrCat(R"({"filter":{},"since":{"sequence":0,"epoch":)",
                                         boost::json::serialize(live.subscribed().at("epoch")), "}}");
  BeastTlsClient resumed(plugin.url(), Path("a", "cert"), since);
  ASSERT_EQ(resumed.subscribed().at("recovered"), true) << boost::json::serialize(resumed.subscribed());
  size_t frame_bytes = 0;
  for (int i = 1; i <= kEvents; ++i) {
    const std::string text = resumed.ReadText();
    frame_bytes += FrameSize(text.size());
    const boost::json::value message = boost::json::parse(text);
    ASSERT_EQ(message.at("data").at("sequence"), i);
    ASSERT_EQ(message.at("data").at("event"), boost::json::parse(MessageEvent(i, std::string(200, 'a' + i % 26))));
  }
  // The "subscribed" reply is a record of its own; the replay fills records of 16 KiB. TLS 1.3 session
  // tickets sent after the handshake may arrive in the same stretch.
  const uint64_t records = resumed.records() - resumed.records_before_subscribe();
  const uint64_t full_records = (frame_bytes + 16383) / 16384;
  EXPECT_LE(records, 1 + full_records + 2) << frame_bytes << " bytes of frames in " << records << " records";
  ::testing::Test::RecordProperty("tls_records", absl::StrCat(records));
  resumed.Close();
  live.Close();
}

// Replies, pongs (to WebSocket pings and to ping messages) and event batches share one TLS stream: every
// frame arrives whole, events in order, every ping answered.
TEST_F(TlsTest, RepliesAndPongsBetweenEventBatchesKeepEveryFrameWhole) {
  constexpr int kEvents = 3000;
  RunningPlugin plugin(Config{{"tls_cert_file", Path("a", "cert")}, {"tls_key_file", Path("a", "key")}});
  BeastTlsClient client(plugin.url(), Path("a", "cert"));
  int websocket_pongs = 0;
  client.stream().control_callback([&](websocket::frame_type kind, beast::string_view) {
    if (kind == websocket::frame_type::pong) ++websocket_pongs;
  });
  std::thread publisher([&] {
    for (int i = 1; i <= kEvents; ++i) plugin.Publish(MessageEvent(i, std::string(i % 700, 'p')));
  });
  int events = 0;
  int pings = 0;
  int pongs = 0;
  while (events < kEvents || pongs < pings) {
    const boost::json::value message = client.ReadJson();
    if (message.at("type") == "pong") {
      ++pongs;
      continue;
    }
    ASSERT_EQ(message.at("type"), "event") << boost::json::serialize(message);
    ++events;
    ASSERT_EQ(message.at("data").at("sequence"), events);
    ASSERT_EQ(message.at("data").at("event").at("content").at("body").as_string().size(),
              static_cast<size_t>(events % 700));
    if (events % 25 == 0 && events < kEvents) {
      client.stream().ping({});
      client.Send(R"({"type":"ping"})");
      ++pings;
    }
  }
  publisher.join();
  // Every WebSocket ping was answered before the pong message that followed it.
  EXPECT_EQ(websocket_pongs, pings);
  EXPECT_EQ(pongs, pings);
  client.Close();
}

// Frames waiting to be encrypted count against max_queue_bytes like the ciphertext behind them: a TLS
// client that stops reading is cut, the one that reads gets every event, and the bytes held stay bounded.
TEST_F(TlsTest, AStalledTlsClientIsCutAtMaxQueueBytesAndAReaderGetsEverything) {
  constexpr uint64_t kMaxQueueBytes = 131072;
  constexpr int kMaxEvents = 20000;
  RunningPlugin plugin(Config{{"tls_cert_file", Path("a", "cert")},
                              {"tls_key_file", Path("a", "key")},
                              {"max_queue_bytes", absl::StrCat(kMaxQueueBytes)},
                              {"handshake_timeout", "60s"}});
  BeastTlsClient stalled(plugin.url(), Path("a", "cert"));
  BeastTlsClient reader(plugin.url(), Path("a", "cert"));
  std::atomic<int> read{0};
  std::vector<uint64_t> sequences;
  std::thread reading([&] {
    for (;;) {
      const boost::json::value message = reader.ReadJson();
      sequences.push_back(message.at("data").at("sequence").to_number<uint64_t>());
      read.fetch_add(1, std::memory_order_release);
      if (message.at("data").at("event").at("event_id") == "$last") return;
    }
  });
  // 8 KiB events until the stalled client is cut (the kernel's buffers take a few megabytes first); the
  // reader is kept within a few events of the publisher so that it is never the one cut.
  constexpr int kWindow = 4;
  const std::string padding(8192, 'x');
  int published = 0;
  while (plugin.Stat("slow_consumers_disconnected") == 0 && published < kMaxEvents) {
    ASSERT_NO_FATAL_FAILURE(AwaitReaderAt(read, published - kWindow));
    plugin.Publish(MessageEvent(published, padding));
    ++published;
  }
  ASSERT_EQ(plugin.Stat("slow_consumers_disconnected"), 1u) << "after " << published << " events";
  plugin.Publish(R"({"type":"m.room.message","room_id":"!r:x","sender":"@a:x","event_id":"$last","content":{}})");
  ++published;
  reading.join();
  ASSERT_EQ(sequences.size(), static_cast<size_t>(published));
  for (int k = 0; k < published; ++k) ASSERT_EQ(sequences[k], static_cast<uint64_t>(k + 1));

  // The stalled connection held at most max_queue_bytes plus its goodbye; the reader at most kWindow + 1
  // frames, each in records that add at most 325 bytes per 16 KiB.
  const uint64_t frame = FrameSize(8192 + 200);
  const uint64_t bound = kMaxQueueBytes + 512 + (kWindow + 1) * (frame + 2 * 325) + 4096;
  EXPECT_LE(plugin.Stat("queued_bytes_peak"), bound);

  // The stalled client finds, behind what the kernel had buffered, the reason and a close 1008.
  EXPECT_TRUE(ReadUntilClosedSeeingSlowConsumerError([&] { return stalled.ReadText(); }));
  EXPECT_EQ(stalled.stream().reason().code, websocket::close_code::policy_error);
  plugin.AwaitStat("connections_open", 1);
  plugin.AwaitStat("queued_bytes", 0);
  reader.Close();
}

// Ten thousand events from 1 byte to 64 KiB of body, published while a TLS client reads: every one
// arrives exact and in order, whether it shares a record with others or spans several.
TEST_F(TlsTest, TenThousandEventsFromOneByteTo64KiBArriveExact) {
  constexpr int kEvents = 10000;
  RunningPlugin plugin(Config{{"tls_cert_file", Path("a", "cert")},
                              {"tls_key_file", Path("a", "key")},
                              {"max_event_bytes", absl::StrCat(64 * 1024 + 512)},
                              {"max_queue_bytes", absl::StrCat(64 << 20)}});
  BeastTlsClient client(plugin.url(), Path("a", "cert"));
  // Sizes spread evenly over the powers of two (1 byte .. 64 KiB), so small and large both abound.
  std::vector<std::string> bodies;
  std::mt19937 random(12);
  std::uniform_real_distribution<double> log_size(0.0, 16.0);
  for (int i = 0; i < kEvents; ++i) {
    std::string body(static_cast<size_t>(std::exp2(log_size(random))), 'a');
    for (char& c : body) c = static_cast<char>('a' + random() % 26);
    bodies.push_back(std::move(body));
  }
  bodies[0] = "x";
  bodies[1] = std::string(64 * 1024, 'y');
  std::thread publisher([&] {
    for (int i = 0; i < kEvents; ++i) plugin.Publish(MessageEvent(i, bodies[i]));
  });
  for (int i = 0; i < kEvents; ++i) {
    const boost::json::value message = client.ReadJson();
    ASSERT_EQ(message.at("data").at("sequence"), i + 1);
    ASSERT_EQ(message.at("data").at("event").at("content").at("body").as_string(), bodies[i]) << "event " << i;
  }
  publisher.join();
  client.Close();
}

}  // namespace
}  // namespace armorclaw::eventbus::testing
