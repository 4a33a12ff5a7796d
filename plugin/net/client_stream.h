// The layer under each connection's websocket::stream: the connection's CorkedSocket, with TLS on top of
// it when the listener serves wss://. Chosen per connection at accept, so that one Session class serves
// both; with TLS the batch holds ciphertext, still sent with one writev per connection per batch.
#ifndef ARMORCLAW_EVENTBUS_PLUGIN_NET_CLIENT_STREAM_H_
#define ARMORCLAW_EVENTBUS_PLUGIN_NET_CLIENT_STREAM_H_

#include <memory>
#include <optional>
#include <utility>

#include "boost/asio/post.hpp"
#include "boost/asio/ssl/context.hpp"
#include "boost/asio/ssl/stream.hpp"
#include "boost/beast/core/bind_handler.hpp"
#include "boost/beast/core/error.hpp"
#include "boost/beast/core/role.hpp"
#include "plugin/net/corked_socket.h"

namespace armorclaw::eventbus {

class ClientStream {
 public:
  using executor_type = CorkedSocket::executor_type;
  using next_layer_type = CorkedSocket;

  // `tls` null: plain WebSocket.
  ClientStream(CorkedSocket::socket_type socket, std::shared_ptr<boost::asio::ssl::context> tls)
      : corked_(std::move(socket)), tls_context_(std::move(tls)) {
    if (tls_context_) tls_.emplace(corked_, *tls_context_);
  }
  ClientStream(const ClientStream&) = delete;  // tls_ refers to corked_.
  ClientStream& operator=(const ClientStream&) = delete;

  executor_type get_executor() noexcept { return corked_.get_executor(); }
  CorkedSocket& next_layer() noexcept { return corked_; }
  const CorkedSocket& next_layer() const noexcept { return corked_; }
  bool tls() const { return tls_.has_value(); }

  // The TLS handshake, or nothing for a plain connection; `handler(error)` on the executor.
  template <typename Handler>
  void AsyncHandshake(Handler&& handler) {
    if (tls_) {
      tls_->async_handshake(boost::asio::ssl::stream_base::server, std::forward<Handler>(handler));
    } else {
      boost::asio::post(get_executor(),
                        boost::beast::bind_front_handler(std::forward<Handler>(handler), boost::beast::error_code{}));
    }
  }

  template <typename Buffers>
  size_t write_some(const Buffers& buffers, boost::beast::error_code& error) {
    return tls_ ? tls_->write_some(buffers, error) : corked_.write_some(buffers, error);
  }
  template <typename Buffers>
  size_t write_some(const Buffers& buffers) {
    return tls_ ? tls_->write_some(buffers) : corked_.write_some(buffers);
  }
  template <typename Buffers>
  size_t read_some(const Buffers& buffers, boost::beast::error_code& error) {
    return tls_ ? tls_->read_some(buffers, error) : corked_.read_some(buffers, error);
  }
  template <typename Buffers>
  size_t read_some(const Buffers& buffers) {
    return tls_ ? tls_->read_some(buffers) : corked_.read_some(buffers);
  }
  template <typename Buffers, typename Handler>
  void async_write_some(const Buffers& buffers, Handler&& handler) {
    if (tls_) return tls_->async_write_some(buffers, std::forward<Handler>(handler));
    corked_.async_write_some(buffers, std::forward<Handler>(handler));
  }
  template <typename Buffers, typename Handler>
  void async_read_some(const Buffers& buffers, Handler&& handler) {
    if (tls_) return tls_->async_read_some(buffers, std::forward<Handler>(handler));
    corked_.async_read_some(buffers, std::forward<Handler>(handler));
  }

  // Ends TLS with close_notify (when TLS is on), then tears the connection down like a plain one.
  template <typename Handler>
  friend void async_teardown(boost::beast::role_type role, ClientStream& stream, Handler&& handler) {
    if (!stream.tls_) return async_teardown(role, stream.corked_, std::forward<Handler>(handler));
    stream.tls_->async_shutdown([&stream, role, handler = std::forward<Handler>(handler)](
                                    boost::beast::error_code) mutable {
      async_teardown(role, stream.corked_, std::move(handler));
    });
  }

 private:
  CorkedSocket corked_;
  // Kept for the stream's lifetime: a certificate reload replaces the server's context, not this one.
  std::shared_ptr<boost::asio::ssl::context> tls_context_;
  std::optional<boost::asio::ssl::stream<CorkedSocket&>> tls_;
};

}  // namespace armorclaw::eventbus

#endif  // ARMORCLAW_EVENTBUS_PLUGIN_NET_CLIENT_STREAM_H_
