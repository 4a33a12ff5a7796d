// wss:// through the real .so: a Beast client over OpenSSL with a certificate the test makes with the
// openssl command, and the errors start gives for bad certificate files.
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "boost/asio/connect.hpp"
#include "boost/asio/write.hpp"
#include "boost/asio/ip/tcp.hpp"
#include "boost/asio/ssl.hpp"
#include "boost/beast/core/buffers_to_string.hpp"
#include "boost/beast/core/flat_buffer.hpp"
#include "boost/beast/websocket.hpp"
#include "boost/beast/websocket/ssl.hpp"
#include "boost/json/parse.hpp"
#include "boost/json/serialize.hpp"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/running_plugin.h"
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

// A Beast wss:// client that trusts only the certificate in `trusted`, subscribed to every event (with
// `subscribe_data` as the subscribe's data); with `offer_deflate`, offering permessage-deflate.
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
    ws_.write(asio::buffer(absl::StrCat(R"({"type":"subscribe","data":)", subscribe_data, "}")));
    subscribed_ = ReadJson();
    EXPECT_EQ(subscribed_.at("type"), "subscribed");
  }

  // The "subscribed" reply.
  const boost::json::value& subscribed() const { return subscribed_; }

  boost::json::value ReadJson() {
    beast::flat_buffer buffer;
    ws_.read(buffer);
    return boost::json::parse(beast::buffers_to_string(buffer.data()));
  }
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

 private:
  asio::io_context io_;
  asio::ssl::context tls_{asio::ssl::context::tls_client};
  websocket::stream<asio::ssl::stream<asio::ip::tcp::socket>> ws_;
  boost::json::value subscribed_;
  std::string extensions_;
};

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
  const std::string epoch(stalled.subscribed().at("data").at("epoch").as_string());
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
  EXPECT_EQ(again.subscribed().at("data").at("recovered"), true);
  while (received.size() < static_cast<size_t>(published)) {
    received.push_back(again.ReadJson().at("data").at("sequence").to_number<uint64_t>());
    ASSERT_EQ(received.back(), received.size());
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
  // read the terminal (blocking start) or fail with "processing error (UI routines)" without one.
  EXPECT_THAT(StartError(Path("a", "cert"), Path("encrypted", "key")),
              ::testing::AllOf(::testing::HasSubstr("cannot load tls_key_file \"" + Path("encrypted", "key") + "\""),
                               ::testing::HasSubstr("bad decrypt")));
}

}  // namespace
}  // namespace armorclaw::eventbus::testing
