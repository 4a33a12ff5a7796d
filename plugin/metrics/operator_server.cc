#include "plugin/metrics/operator_server.h"

#include <exception>
#include <string_view>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "boost/asio/ip/address.hpp"
#include "boost/asio/post.hpp"
#include "boost/beast/core/flat_buffer.hpp"
#include "boost/beast/core/tcp_stream.hpp"
#include "boost/beast/http/empty_body.hpp"
#include "boost/beast/http/message.hpp"
#include "boost/beast/http/parser.hpp"
#include "boost/beast/http/read.hpp"
#include "boost/beast/http/string_body.hpp"
#include "boost/beast/http/write.hpp"
#include "plugin/metrics/exposition.h"
#include "plugin/net/listen.h"

namespace armorclaw::eventbus {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

// One operator request: read it, answer it, close.
class OperatorServer::Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(OperatorServer& server, tcp::socket socket) : server_(server), stream_(std::move(socket)) {
    ++server_.connections_;
    parser_.header_limit(kHeaderLimit);
    parser_.body_limit(0);
  }
  ~Connection() { --server_.connections_; }

  void Start() {
    stream_.expires_after(kReadTimeout);
    http::async_read(stream_, buffer_, parser_, [self = shared_from_this()](beast::error_code error, size_t) {
      if (!error) self->Answer(self->parser_.get());
    });
  }

 private:
  void Answer(const http::request<http::empty_body>& request) {
    const std::string_view target = request.target();
    const std::string_view path = target.substr(0, target.find('?'));
    http::status status = http::status::ok;
    std::string body;
    std::string_view content_type = "application/json";
    if (path != "/metrics" && path != "/healthz" && path != "/readyz") {
      status = http::status::not_found;
      body = "not found: /metrics, /healthz and /readyz are served here\n";
      content_type = "text/plain; charset=utf-8";
    } else if (request.method() != http::verb::get && request.method() != http::verb::head) {
      status = http::status::method_not_allowed;
      body = "only GET and HEAD\n";
      content_type = "text/plain; charset=utf-8";
    } else if (path == "/metrics") {
      body = server_.probes_.metrics();
      content_type = kExpositionContentType;
    } else if (path == "/healthz") {
      std::tie(status, body) = Health();
    } else if (server_.probes_.ready()) {
      body = R"({"status":"ready"})";
    } else {
      status = http::status::service_unavailable;
      body = R"({"status":"not ready"})";
    }
    response_.result(status);
    response_.version(request.version());
    response_.set(http::field::server, "armorclaw-eventbus");
    response_.set(http::field::content_type, content_type);
    response_.set(http::field::cache_control, "no-store");
    if (status == http::status::method_not_allowed) response_.set(http::field::allow, "GET, HEAD");
    response_.keep_alive(false);
    // HEAD: the headers GET would get, Content-Length included, and no body.
    response_.content_length(body.size());
    if (request.method() != http::verb::head) response_.body() = std::move(body);
    http::async_write(stream_, response_, [self = shared_from_this()](beast::error_code, size_t) {
      beast::error_code ignored;
      self->stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    });
  }

  std::pair<http::status, std::string> Health() const {
    const Heartbeat& heartbeat = *server_.probes_.heartbeat;
    // Stop ends the beats while the I/O thread closes connections: not a stall.
    if (heartbeat.stopped()) return {http::status::ok, R"({"status":"stopping"})"};
    const auto since = heartbeat.SinceLastBeat();
    if (since <= Heartbeat::kStalledAfter) return {http::status::ok, R"({"status":"ok"})"};
    return {http::status::service_unavailable,
            absl::StrFormat(R"({"status":"stalled","seconds_since_heartbeat":%.3f})",
                            std::chrono::duration<double>(since).count())};
  }

  OperatorServer& server_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  http::request_parser<http::empty_body> parser_;
  http::response<http::string_body> response_;
};

absl::StatusOr<std::unique_ptr<OperatorServer>> OperatorServer::Listen(const ListenAddress& address, Probes probes) {
  std::unique_ptr<OperatorServer> server(new OperatorServer(std::move(probes)));
  if (absl::Status listening = ListenOn(server->acceptor_, address, "metrics_addr"); !listening.ok()) return listening;
  boost::system::error_code error;
  const tcp::endpoint bound = server->acceptor_.local_endpoint(error);
  if (error) return absl::UnavailableError(absl::StrCat("cannot read the bound address: ", error.message()));
  server->url_ = absl::StrCat("http://", HostForUrl(bound.address()), ":", bound.port());
  server->Accept();
  return server;
}

OperatorServer::OperatorServer(Probes probes) : probes_(std::move(probes)), acceptor_(io_) {}

OperatorServer::~OperatorServer() = default;

void OperatorServer::Accept() {
  acceptor_.async_accept([this](beast::error_code error, tcp::socket socket) {
    if (error == asio::error::operation_aborted) return;
    // Over the cap the socket is closed here, unanswered: a scraper retries, a flood costs nothing.
    if (!error && connections_ < kMaxConnections) {
      std::make_shared<Connection>(*this, std::move(socket))->Start();
    }
    Accept();
  });
}

void OperatorServer::Serve() {
  for (;;) {
    try {
      io_.run();
      return;
    } catch (const std::exception&) {
      // A handler failed (out of memory, say): its connection is lost. Nothing is logged from this
      // thread (the log callback is the I/O thread's); the listener goes on.
    }
  }
}

void OperatorServer::Stop() { io_.stop(); }

}  // namespace armorclaw::eventbus
