// The stream layer under each connection's websocket::stream. Beast still owns framing, control frames
// and the close handshake, but what it writes is not sent at once: it is appended to the connection's
// batch, and Flush sends the whole batch with one writev. One socket write per connection per batch of
// events, instead of one per frame, is what makes fan-out to thousands of clients cheap.
//
// Bytes are copied into the batch, except the one payload announced with ShareNext, which is referenced
// and kept alive until sent: an event's frame is shared by every receiver, never copied per connection.
//
// Every byte written here counts against one limit, whoever writes it: our events and replies, and what
// Beast writes on its own (the 101, pongs, pings, close frames) and TLS under it. A client that makes the
// server write without reading (a ping flood) is bounded like one that falls behind on events.
#ifndef ARMORCLAW_EVENTBUS_PLUGIN_NET_CORKED_SOCKET_H_
#define ARMORCLAW_EVENTBUS_PLUGIN_NET_CORKED_SOCKET_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <utility>
#include <vector>

#include "boost/asio/buffer.hpp"
#include "boost/asio/error.hpp"
#include "boost/asio/io_context.hpp"
#include "boost/asio/ip/tcp.hpp"
#include "boost/asio/post.hpp"
#include "boost/beast/core/bind_handler.hpp"
#include "boost/beast/core/error.hpp"
#include "boost/beast/core/role.hpp"
#include "boost/beast/core/stream_traits.hpp"
#include "boost/beast/websocket/teardown.hpp"
#include "boost/container/deque.hpp"
#include "plugin/counters.h"
#include "plugin/metrics/histogram.h"

namespace armorclaw::eventbus {

class CorkedSocket {
 public:
  using socket_type =
      boost::asio::basic_stream_socket<boost::asio::ip::tcp, boost::asio::io_context::executor_type>;
  using executor_type = socket_type::executor_type;
  using next_layer_type = socket_type;
  using lowest_layer_type = socket_type::lowest_layer_type;

  explicit CorkedSocket(socket_type socket);
  ~CorkedSocket() { Reset(); }
  CorkedSocket(const CorkedSocket&) = delete;
  CorkedSocket& operator=(const CorkedSocket&) = delete;

  executor_type get_executor() noexcept { return socket_.get_executor(); }
  socket_type& next_layer() noexcept { return socket_; }
  const socket_type& next_layer() const noexcept { return socket_; }
  // Asio's ssl::stream asks its next layer for these.
  lowest_layer_type& lowest_layer() noexcept { return socket_.lowest_layer(); }
  const lowest_layer_type& lowest_layer() const noexcept { return socket_.lowest_layer(); }

  // Who owns this layer: kept alive by the socket waits that Flush leaves pending.
  void set_owner(std::weak_ptr<void> owner) { owner_ = std::move(owner); }
  // Where the bytes waiting here are counted, with those of every other connection; must outlive this.
  void set_gauge(ByteGauge* gauge) { gauge_ = gauge; }
  ByteGauge* gauge() const { return gauge_; }
  // Where each writev's size is observed, and the latency of each sampled piece once the kernel took all of
  // it (ShareNext); both must outlive this.
  void set_histograms(Histogram* publish_to_socket_ns, Histogram* write_batch_bytes) {
    publish_to_socket_ns_ = publish_to_socket_ns;
    write_batch_bytes_ = write_batch_bytes;
  }

  // Called when the socket, having made Flush wait, took everything that was pending: the layer above
  // may append more.
  void set_on_sent(std::function<void()> on_sent) { on_sent_ = std::move(on_sent); }

  // At most `bytes` may wait here. A write that would go over them fails with no_buffer_space: the batch
  // is dropped, the socket shut down, and `on_overflow` called, once, from inside that write.
  void Limit(size_t bytes, std::function<void()> on_overflow) {
    limit_ = bytes;
    on_overflow_ = std::move(on_overflow);
  }
  // Raises the limit by `bytes`, for the last frames of a connection being given up.
  void ExtendLimit(size_t bytes) { limit_ += bytes; }
  // Whether `bytes` more fit under the limit, once the socket has taken what it takes now.
  bool HasRoom(size_t bytes);

  // The next buffer that starts at `data` is referenced, not copied; `owner` keeps it alive until sent.
  // With a `sampled_since`, the time from then until the kernel took the whole buffer is observed.
  void ShareNext(const void* data, std::shared_ptr<const void> owner,
                 std::chrono::steady_clock::time_point sampled_since = {}) {
    shared_data_ = data;
    shared_owner_ = std::move(owner);
    shared_sampled_since_ = sampled_since;
  }

  // The piece appended last (a copy: a TLS record, say) is observed as sampled since `sampled_since` once
  // the kernel took all of it; nothing appended later joins it.
  void SampleLast(std::chrono::steady_clock::time_point sampled_since) {
    if (pieces_.size() > first_unsent_) pieces_.back().sampled_since = sampled_since;
  }

  // Sends what is pending: now as far as the socket takes it, the rest when it becomes writable.
  void Flush();
  // Bytes appended and not yet accepted by the kernel.
  size_t pending_bytes() const { return pending_bytes_; }
  // Whether the socket failed (or overflowed): nothing more is sent.
  bool failed() const { return static_cast<bool>(error_); }

  // Frames. Every write_some call appends whole WebSocket frames (Beast writes each frame with one call,
  // the session each event's frame), so the end of each call is a place where the stream may be cut.
  // Meaningful for a plain socket only: under TLS the calls are records of ciphertext.
  //
  // The next write_some appends the frame of event `sequence`; `delivery`: a live delivery (counted in
  // the deliveries statistic), not a replay.
  void TagNextFrame(uint64_t sequence, bool delivery) { next_frame_ = {0, sequence, delivery}; }
  // The sequence of the last tagged event whose frame the kernel has taken whole; 0: none yet.
  uint64_t last_sent_sequence() const { return last_sent_sequence_; }
  struct Dropped {
    uint64_t last_sequence;  // The last event in what the kernel took or will take; 0: none.
    size_t deliveries;       // Frames of live deliveries dropped.
  };
  // Drops what waits here beyond the frame the kernel has taken part of (whose rest must still go: a
  // WebSocket stream cannot end mid-frame). `last_sequence` is what a client reading to the end of the
  // kept bytes receives last.
  Dropped DropUnsentFrames();

  // Calls `handler(error)` on the executor once everything appended so far is sent, or the socket failed.
  template <typename Handler>
  void AsyncDrain(Handler&& handler);

  // SyncWriteStream: appends, never blocks; over the limit, appends nothing and fails (see Limit).
  template <typename ConstBufferSequence>
  size_t write_some(const ConstBufferSequence& buffers, boost::beast::error_code& error) {
    error = error_;
    if (error) return 0;
    const bool fits = HasRoom(boost::asio::buffer_size(buffers));
    if (!fits && !error_) Overflow();
    error = error_;  // Also set when the flush in HasRoom found the socket failed.
    if (error) return 0;
    size_t total = 0;
    for (auto it = boost::asio::buffer_sequence_begin(buffers); it != boost::asio::buffer_sequence_end(buffers);
         ++it) {
      const boost::asio::const_buffer buffer(*it);
      Append(buffer.data(), buffer.size());
      total += buffer.size();
    }
    EndFrames(total);
    return total;
  }
  template <typename ConstBufferSequence>
  size_t write_some(const ConstBufferSequence& buffers) {
    boost::beast::error_code error;
    const size_t written = write_some(buffers, error);
    if (error) throw boost::beast::system_error(error);
    return written;
  }

  // AsyncWriteStream: appends and flushes; completes (always posted, never inline: Beast would recurse
  // through its whole queue) with everything written.
  template <typename ConstBufferSequence, typename WriteHandler>
  auto async_write_some(const ConstBufferSequence& buffers, WriteHandler&& handler) {
    return boost::asio::async_initiate<WriteHandler, void(boost::beast::error_code, size_t)>(
        [this](auto completion, const ConstBufferSequence& buffers) {
          boost::beast::error_code error;
          const size_t written = write_some(buffers, error);
          if (!error) Flush();
          boost::asio::post(get_executor(),
                            boost::beast::bind_front_handler(std::move(completion), error, written));
        },
        handler, buffers);
  }

  // Reads go straight to the socket.
  template <typename MutableBufferSequence>
  size_t read_some(const MutableBufferSequence& buffers, boost::beast::error_code& error) {
    return socket_.read_some(buffers, error);
  }
  template <typename MutableBufferSequence>
  size_t read_some(const MutableBufferSequence& buffers) {
    return socket_.read_some(buffers);
  }
  template <typename MutableBufferSequence, typename ReadHandler>
  auto async_read_some(const MutableBufferSequence& buffers, ReadHandler&& handler) {
    return socket_.async_read_some(buffers, std::forward<ReadHandler>(handler));
  }

 private:
  // One piece of the batch: `length` bytes at `copy_offset` in copies_, or at `shared` when referenced.
  struct Piece {
    const char* shared;
    size_t copy_offset;
    size_t length;
    std::chrono::steady_clock::time_point sampled_since;  // The epoch: not sampled.
  };

  // Where a frame ends, in bytes appended since the socket opened, and the event it holds (0: not an event).
  struct FrameEnd {
    uint64_t end;
    uint64_t sequence;
    bool delivery;
  };

  void Append(const void* data, size_t size);
  // The call appending `bytes` (whole frames) is over.
  void EndFrames(size_t bytes);
  // The kernel took `bytes` more: the frames it has now taken whole are done.
  void Sent(size_t bytes);
  // The kernel took all of `piece`: its latency, if sampled. `now` is read on first need and kept.
  void ObserveSent(const Piece& piece, std::chrono::steady_clock::time_point& now);
  void Fail(boost::beast::error_code error);
  void Overflow();
  void Reset();
  void AddPending(size_t bytes);
  void RemovePending(size_t bytes);
  // Forgets what was sent, so that a client that is always a little behind does not grow the batch.
  void Compact();

  socket_type socket_;
  std::weak_ptr<void> owner_;
  std::vector<Piece> pieces_;
  std::vector<char> copies_;
  std::vector<std::shared_ptr<const void>> owners_;  // Of the referenced pieces, until sent.
  size_t first_unsent_ = 0;         // Index into pieces_.
  size_t first_unsent_offset_ = 0;  // Bytes of pieces_[first_unsent_] already sent.
  size_t pending_bytes_ = 0;
  size_t limit_ = SIZE_MAX;
  std::function<void()> on_overflow_;
  std::function<void()> on_sent_;
  ByteGauge* gauge_ = nullptr;
  bool waiting_ = false;  // A wait for writability is pending.
  const void* shared_data_ = nullptr;
  std::shared_ptr<const void> shared_owner_;
  std::chrono::steady_clock::time_point shared_sampled_since_;
  FrameEnd next_frame_{0, 0, false};  // TagNextFrame's, for the next write_some.
  // Bytes appended, and taken by the kernel, since the socket opened; the frames in between.
  uint64_t appended_total_ = 0;
  uint64_t sent_total_ = 0;
  // Boost's deque, not std::deque: libstdc++'s allocates a map and a 512-byte node when constructed, which
  // every idle connection would pay (docs/benchmarks.md, idle connections).
  boost::container::deque<FrameEnd> unsent_frames_;
  uint64_t sent_frames_end_ = 0;  // Where the last frame the kernel took whole ends.
  uint64_t last_sent_sequence_ = 0;
  Histogram* publish_to_socket_ns_ = nullptr;
  Histogram* write_batch_bytes_ = nullptr;
  boost::beast::error_code error_;
};

template <typename Handler>
void CorkedSocket::AsyncDrain(Handler&& handler) {
  if (pending_bytes_ == 0 || error_) {
    boost::asio::post(get_executor(), boost::beast::bind_front_handler(std::forward<Handler>(handler), error_));
    return;
  }
  socket_.async_wait(socket_type::wait_write,
                     [this, handler = std::forward<Handler>(handler)](boost::beast::error_code error) mutable {
                       if (error) return handler(error);
                       Flush();
                       AsyncDrain(std::move(handler));
                     });
}

// Beast's close handshake ends in a teardown, found by argument-dependent lookup. The close frame Beast
// just wrote is still in the batch: send it before shutting the socket down.
template <typename TeardownHandler>
void async_teardown(boost::beast::role_type role, CorkedSocket& stream, TeardownHandler&& handler) {
  stream.AsyncDrain([&stream, role, handler = std::forward<TeardownHandler>(handler)](
                        boost::beast::error_code) mutable {
    boost::beast::websocket::async_teardown(role, stream.next_layer(), std::move(handler));
  });
}

}  // namespace armorclaw::eventbus

#endif  // ARMORCLAW_EVENTBUS_PLUGIN_NET_CORKED_SOCKET_H_
