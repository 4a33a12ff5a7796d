// The layer under each connection's websocket::stream: the connection's CorkedSocket, with TLS on top of
// it when the listener serves wss://. Chosen per connection at accept, so that one Session class serves
// both; with TLS the batch holds ciphertext, still sent with one writev per connection per batch.
//
// Event frames bypass Beast on both paths (WriteSharedFrame): an unmasked server frame is the same bytes
// for every receiver. Plain, the frame joins the batch by reference. With TLS, frames wait here as
// plaintext (references to the shared frames) and are encrypted together, a full 16 KiB TLS record per
// SSL_write instead of one SSL_write and one record per frame, as the socket can take them: a flush
// encrypts until kSealAhead bytes of ciphertext wait in the CorkedSocket, and the rest when the socket
// has taken those. A client that falls behind thus holds references, not its own ciphertext of every
// event. Any other write to the stream (Beast's replies, pongs, pings, close; the close_notify) first
// encrypts everything that waits, so the order on the wire is the order of the writes, and no frame is
// ever cut by another: each write to the TLS stream takes whole frames.
//
// Once the upgrade is done, what the client sends (plaintext, under TLS) passes a ClientFrameGuard before
// Beast reads it: the one frame Beast 1.81 would answer wrongly is kept from it, and the read that reaches
// it completes with a ClientFrameError instead, for the session to answer. When the connection negotiated
// permessage-deflate, the cleared bytes then pass a ClientMessageInflater: Beast, which has compression
// off, reads the client's compressed messages as plain frames, and no connection holds an inflater
// between messages. Bytes that pass both unchanged (nearly all) are handed to Beast where they were read.
#ifndef ARMORCLAW_EVENTBUS_PLUGIN_NET_CLIENT_STREAM_H_
#define ARMORCLAW_EVENTBUS_PLUGIN_NET_CLIENT_STREAM_H_

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "boost/asio/buffer.hpp"
#include "boost/asio/compose.hpp"
#include "boost/asio/post.hpp"
#include "boost/asio/ssl/context.hpp"
#include "boost/asio/ssl/stream.hpp"
#include "boost/beast/core/bind_handler.hpp"
#include "boost/beast/core/buffers_prefix.hpp"
#include "boost/beast/core/buffers_range.hpp"
#include "boost/beast/core/error.hpp"
#include "boost/beast/core/role.hpp"
#include "boost/container/deque.hpp"
#include "plugin/net/client_frame_guard.h"
#include "plugin/net/client_message_inflater.h"
#include "plugin/net/corked_socket.h"

namespace armorclaw::eventbus {

class ClientStream {
 public:
  using executor_type = CorkedSocket::executor_type;
  using next_layer_type = CorkedSocket;

  // `tls` null: plain WebSocket.
  ClientStream(CorkedSocket::socket_type socket, std::shared_ptr<boost::asio::ssl::context> tls)
      : corked_(std::move(socket)), tls_context_(std::move(tls)) {
    if (!tls_context_) return;
    tls_ = std::make_unique<boost::asio::ssl::stream<CorkedSocket&>>(corked_, *tls_context_);
    corked_.set_on_sent([this] { Flush(); });  // Encrypts more of what waits.
  }
  ~ClientStream() { Drop(); }
  ClientStream(const ClientStream&) = delete;  // tls_ refers to corked_.
  ClientStream& operator=(const ClientStream&) = delete;

  executor_type get_executor() noexcept { return corked_.get_executor(); }
  CorkedSocket& next_layer() noexcept { return corked_; }
  const CorkedSocket& next_layer() const noexcept { return corked_; }
  bool tls() const { return tls_ != nullptr; }

  // Whether `bytes` more of frames fit under the CorkedSocket's limit, counting, with TLS, the frames
  // waiting to be encrypted and what encryption adds to them.
  bool HasRoom(size_t bytes);
  // A complete server frame shared by every receiver; `owner` keeps `frame` alive until it is sent
  // (plain) or encrypted (TLS). With a `sampled_since`, the time from then until the kernel took it is
  // observed (CorkedSocket::set_histograms). Call HasRoom first: this does not check the limit again.
  void WriteSharedFrame(std::string_view frame, std::shared_ptr<const void> owner,
                        std::chrono::steady_clock::time_point sampled_since);
  // Sends the batch as far as the socket takes it now; with TLS, encrypts waiting frames as it goes.
  void Flush();

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
    if (!tls_) return corked_.write_some(buffers, error);
    Seal();
    return tls_->write_some(buffers, error);
  }
  template <typename Buffers>
  size_t write_some(const Buffers& buffers) {
    if (!tls_) return corked_.write_some(buffers);
    Seal();
    return tls_->write_some(buffers);
  }
  template <typename Buffers>
  size_t read_some(const Buffers& buffers, boost::beast::error_code& error) {
    if (!guard_) return ReadRaw(buffers, error);
    while (!ReadyForBeast()) {
      const size_t bytes = ReadRaw(buffers, error);
      if (error) return 0;
      if (const size_t ready = Screen(buffers, bytes)) return ready;
    }
    return TakeForBeast(buffers, error);
  }
  template <typename Buffers>
  size_t read_some(const Buffers& buffers) {
    boost::beast::error_code error;
    const size_t bytes = read_some(buffers, error);
    if (error) throw boost::beast::system_error(error);
    return bytes;
  }
  template <typename Buffers, typename Handler>
  void async_write_some(const Buffers& buffers, Handler&& handler) {
    if (!tls_) return corked_.async_write_some(buffers, std::forward<Handler>(handler));
    Seal();
    tls_->async_write_some(buffers, std::forward<Handler>(handler));
  }
  template <typename Buffers, typename Handler>
  void async_read_some(const Buffers& buffers, Handler&& handler) {
    if (!guard_) return AsyncReadRaw(buffers, std::forward<Handler>(handler));
    boost::asio::async_compose<Handler, void(boost::beast::error_code, size_t)>(GuardedRead<Buffers>{*this, buffers},
                                                                                handler, get_executor());
  }

  // From now on every byte read passes the guard. Called once the 101 is sent: the guard follows frames,
  // and must not see the HTTP request.
  void GuardFrames() { guard_.emplace(); }
  // From now on, after the guard, compressed messages are inflated, `max_message_bytes` at most (beyond
  // it Beast closes with 1009): for a connection that negotiated permessage-deflate. Called with
  // GuardFrames, and again when the limit changes.
  void InflateMessages(uint64_t max_message_bytes) {
    if (inflater_) return inflater_->set_max_message_bytes(max_message_bytes);
    inflater_ = std::make_unique<ClientMessageInflater>(max_message_bytes);
  }
  bool inflates() const { return inflater_ != nullptr; }

  // Ends TLS with close_notify (when TLS is on), then tears the connection down like a plain one.
  template <typename Handler>
  friend void async_teardown(boost::beast::role_type role, ClientStream& stream, Handler&& handler) {
    if (!stream.tls_) return async_teardown(role, stream.corked_, std::forward<Handler>(handler));
    stream.Seal();
    stream.tls_->async_shutdown([&stream, role, handler = std::forward<Handler>(handler)](
                                    boost::beast::error_code) mutable {
      async_teardown(role, stream.corked_, std::move(handler));
    });
  }

 private:
  // A frame waiting to be encrypted; the frame's bytes belong to `owner`.
  struct WaitingFrame {
    std::string_view frame;
    std::shared_ptr<const void> owner;
    std::chrono::steady_clock::time_point sampled_since;
  };

  // TLS: encrypts every waiting frame into the CorkedSocket's batch.
  void Seal();
  // TLS: encrypts up to one record's worth of the waiting frames; false when the stream failed (and
  // nothing waits any more).
  bool SealRecord();
  // TLS: forgets the waiting frames.
  void Drop();
  // TLS: what the records that carry `plaintext` bytes take at most in the batch.
  static size_t SealedSize(size_t plaintext);

  // A read under the guard: bytes the guard has cleared, or its verdict once nothing cleared is left.
  template <typename Buffers>
  struct GuardedRead {
    ClientStream& stream;
    Buffers buffers;
    enum class Step { kStart, kAnswer, kRead } step = Step::kStart;

    template <typename Self>
    void operator()(Self& self, boost::beast::error_code error = {}, size_t bytes = 0) {
      if (step == Step::kRead) {
        if (error) return self.complete(error, 0);
        if (const size_t ready = stream.Screen(buffers, bytes)) return self.complete({}, ready);
      } else if (step == Step::kStart && stream.ReadyForBeast()) {
        // Not completed inline: Beast expects a read to complete after it was started.
        step = Step::kAnswer;
        return boost::asio::post(stream.get_executor(), std::move(self));
      }
      if (!stream.ReadyForBeast()) {
        step = Step::kRead;
        return stream.AsyncReadRaw(buffers, std::move(self));
      }
      boost::beast::error_code verdict;
      const size_t ready = stream.TakeForBeast(buffers, verdict);
      self.complete(verdict, ready);
    }
  };

  template <typename Buffers>
  size_t ReadRaw(const Buffers& buffers, boost::beast::error_code& error) {
    return tls_ ? tls_->read_some(buffers, error) : corked_.read_some(buffers, error);
  }
  template <typename Buffers, typename Handler>
  void AsyncReadRaw(const Buffers& buffers, Handler&& handler) {
    if (tls_) return tls_->async_read_some(buffers, std::forward<Handler>(handler));
    corked_.async_read_some(buffers, std::forward<Handler>(handler));
  }

  // Whether a read has something to give Beast without reading: bytes ready for it, or a verdict.
  bool ReadyForBeast() const { return !ready_.empty() || Verdict(); }
  // The inflater's first: its verdict is on bytes before those the guard holds.
  std::optional<ClientFrameError> Verdict() const {
    if (inflater_ && inflater_->error()) return inflater_->error();
    return guard_->verdict();
  }

  // Shows the guard the `bytes` just read into `buffers`; returns how many bytes, at the front of
  // `buffers`, Beast may take now. Those that wait for the rest of their frame are held back, and
  // compressed messages are rewritten into ready_.
  template <typename Buffers>
  size_t Screen(const Buffers& buffers, size_t bytes) {
    const auto fresh = boost::beast::buffers_prefix(bytes, buffers);
    for (const auto buffer : boost::beast::buffers_range_ref(fresh)) {
      guard_->Feed(std::string_view(static_cast<const char*>(buffer.data()), buffer.size()));
    }
    if (held_.empty() && ready_.empty() && guard_->cleared() == screened_ + bytes &&
        boost::asio::buffer_sequence_end(fresh) == std::next(boost::asio::buffer_sequence_begin(fresh))) {
      // Nearly always: every byte cleared, in one piece, already where Beast wants it.
      screened_ += bytes;
      const auto buffer = *boost::asio::buffer_sequence_begin(fresh);
      if (!inflater_ || inflater_->Feed(std::string_view(static_cast<const char*>(buffer.data()), bytes), ready_)) {
        return bytes;
      }
      // Rewritten: the inflater took what it needed of the read bytes, which ready_'s may overwrite.
      return TakeReady(buffers);
    }
    const size_t held = held_.size();
    held_.resize(held + bytes);
    boost::asio::buffer_copy(boost::asio::buffer(held_.data() + held, bytes), fresh);
    PassCleared();
    return TakeReady(buffers);
  }

  // Moves the held bytes the guard has cleared to ready_, through the inflater.
  void PassCleared();
  // Copies bytes from ready_ to `buffers`, as many as fit; returns how many.
  template <typename Buffers>
  size_t TakeReady(const Buffers& buffers) {
    const size_t taken = boost::asio::buffer_copy(buffers, boost::asio::buffer(ready_));
    ready_.erase(0, taken);
    // An inflated message may have grown it to max_message_bytes: an idle connection keeps none of that.
    if (ready_.empty()) ready_.shrink_to_fit();
    return taken;
  }
  // For a read that ReadyForBeast lets complete: the ready bytes first, the verdict once none is left.
  template <typename Buffers>
  size_t TakeForBeast(const Buffers& buffers, boost::beast::error_code& verdict) {
    const size_t taken = TakeReady(buffers);
    if (taken == 0) verdict = *Verdict();
    return taken;
  }

  CorkedSocket corked_;
  // Kept for the stream's lifetime: a certificate reload replaces the server's context, not this one.
  std::shared_ptr<boost::asio::ssl::context> tls_context_;
  // On the heap: a plain connection does not carry the 360 bytes of an unused TLS stream.
  std::unique_ptr<boost::asio::ssl::stream<CorkedSocket&>> tls_;
  // TLS: frames to encrypt, in order. Boost's deque allocates nothing until used (CorkedSocket's frames).
  boost::container::deque<WaitingFrame> waiting_;
  size_t first_frame_sealed_ = 0;      // Bytes of waiting_.front() already encrypted.
  size_t waiting_bytes_ = 0;           // Bytes of waiting_ not encrypted yet.
  std::optional<ClientFrameGuard> guard_;  // Once the upgrade is done.
  // Once the upgrade is done, if compression was negotiated; on the heap, so that others do not carry it.
  std::unique_ptr<ClientMessageInflater> inflater_;
  std::string held_;       // Read, not yet cleared by the guard: all bytes fed to it after screened_.
  uint64_t screened_ = 0;  // Bytes the guard cleared since it was armed.
  std::string ready_;      // Cleared (and inflated), for Beast to take next.
};

}  // namespace armorclaw::eventbus

#endif  // ARMORCLAW_EVENTBUS_PLUGIN_NET_CLIENT_STREAM_H_
