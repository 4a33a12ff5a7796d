#include "plugin/net/corked_socket.h"

#include <sys/uio.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <utility>

namespace armorclaw::eventbus {

CorkedSocket::CorkedSocket(socket_type socket) : socket_(std::move(socket)) {
  // Flush calls writev itself, which must never block the I/O thread.
  boost::beast::error_code ignored;
  socket_.native_non_blocking(true, ignored);
}

void CorkedSocket::Append(const void* data, size_t size) {
  if (size == 0) return;
  if (data == shared_data_) {
    pieces_.push_back({static_cast<const char*>(data), 0, size, std::exchange(shared_sampled_since_, {})});
    owners_.push_back(std::move(shared_owner_));
    shared_data_ = nullptr;
  } else if (!pieces_.empty() && pieces_.back().shared == nullptr &&
             pieces_.back().sampled_since == std::chrono::steady_clock::time_point{} &&
             pieces_.back().copy_offset + pieces_.back().length == copies_.size()) {
    // Consecutive copies (a frame header after a small frame, say) share one piece, unless the first is
    // sampled: it is observed when its own last byte is sent.
    pieces_.back().length += size;
    copies_.insert(copies_.end(), static_cast<const char*>(data), static_cast<const char*>(data) + size);
  } else {
    pieces_.push_back({nullptr, copies_.size(), size, {}});
    copies_.insert(copies_.end(), static_cast<const char*>(data), static_cast<const char*>(data) + size);
  }
  AddPending(size);
}

void CorkedSocket::EndFrames(size_t bytes) {
  FrameEnd frame = std::exchange(next_frame_, {0, 0, false});
  if (bytes == 0) return;
  appended_total_ += bytes;
  frame.end = appended_total_;
  unsent_frames_.push_back(frame);
}

void CorkedSocket::Sent(size_t bytes) {
  sent_total_ += bytes;
  while (!unsent_frames_.empty() && unsent_frames_.front().end <= sent_total_) {
    if (unsent_frames_.front().sequence != 0) last_sent_sequence_ = unsent_frames_.front().sequence;
    sent_frames_end_ = unsent_frames_.front().end;
    unsent_frames_.pop_front();
  }
}

CorkedSocket::Dropped CorkedSocket::DropUnsentFrames() {
  Dropped dropped{last_sent_sequence_, 0};
  // The frame the kernel has taken part of, if any, is the first unsent one: its rest is kept.
  const bool frame_begun = sent_total_ > sent_frames_end_ && !unsent_frames_.empty();
  for (size_t i = frame_begun ? 1 : 0; i < unsent_frames_.size(); ++i) dropped.deliveries += unsent_frames_[i].delivery;
  if (!frame_begun) {
    Reset();
    return dropped;
  }
  const FrameEnd begun = unsent_frames_.front();
  if (begun.sequence != 0) dropped.last_sequence = begun.sequence;
  const auto keep = static_cast<size_t>(begun.end - sent_total_);
  size_t kept = first_unsent_;  // The last piece kept.
  size_t offset = first_unsent_offset_;
  for (size_t left = keep;; offset = 0, ++kept) {
    const size_t available = pieces_[kept].length - offset;
    if (left <= available) {
      pieces_[kept].length = offset + left;
      break;
    }
    left -= available;
  }
  pieces_.resize(kept + 1);
  owners_.resize(static_cast<size_t>(std::count_if(pieces_.begin(), pieces_.end(),
                                                   [](const Piece& piece) { return piece.shared != nullptr; })));
  for (auto piece = pieces_.rbegin(); piece != pieces_.rend(); ++piece) {
    if (piece->shared != nullptr) continue;
    copies_.resize(piece->copy_offset + piece->length);
    break;
  }
  RemovePending(pending_bytes_ - keep);
  unsent_frames_.resize(1);
  appended_total_ = begun.end;
  return dropped;
}

void CorkedSocket::AddPending(size_t bytes) {
  pending_bytes_ += bytes;
  if (gauge_ != nullptr) gauge_->Add(bytes);
}

void CorkedSocket::RemovePending(size_t bytes) {
  pending_bytes_ -= bytes;
  if (gauge_ != nullptr) gauge_->Remove(bytes);
}

bool CorkedSocket::HasRoom(size_t bytes) {
  // A large batch can fill the queue before the end-of-batch flush: send early before judging the client.
  if (pending_bytes_ + bytes > limit_) Flush();
  return pending_bytes_ + bytes <= limit_;
}

void CorkedSocket::Overflow() {
  Fail(boost::asio::error::no_buffer_space);
  shared_data_ = nullptr;
  shared_owner_.reset();
  if (on_overflow_) std::exchange(on_overflow_, nullptr)();
}

void CorkedSocket::Flush() {
  if (waiting_ || error_) return;
  iovec iov[IOV_MAX];
  while (pending_bytes_ > 0) {
    int count = 0;
    for (size_t i = first_unsent_; i < pieces_.size() && count < IOV_MAX; ++i, ++count) {
      const Piece& piece = pieces_[i];
      const char* base = piece.shared != nullptr ? piece.shared : copies_.data() + piece.copy_offset;
      const size_t skip = i == first_unsent_ ? first_unsent_offset_ : 0;
      iov[count] = {const_cast<char*>(base + skip), piece.length - skip};
    }
    const ssize_t written = ::writev(socket_.native_handle(), iov, count);
    if (written < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        Compact();
        waiting_ = true;
        socket_.async_wait(socket_type::wait_write,
                           [this, owner = owner_.lock()](boost::beast::error_code error) {
                             waiting_ = false;
                             if (error) return Fail(error);
                             Flush();
                             if (!waiting_ && !error_ && on_sent_) on_sent_();
                           });
        return;
      }
      return Fail(boost::beast::error_code(errno, boost::system::system_category()));
    }
    size_t remaining = static_cast<size_t>(written);
    RemovePending(remaining);
    Sent(remaining);
    if (write_batch_bytes_ != nullptr) write_batch_bytes_->Observe(remaining);
    std::chrono::steady_clock::time_point now;  // Read once per writev, and only for a sampled piece.
    while (remaining > 0) {
      const size_t left_in_piece = pieces_[first_unsent_].length - first_unsent_offset_;
      if (remaining < left_in_piece) {
        first_unsent_offset_ += remaining;
        remaining = 0;
      } else {
        remaining -= left_in_piece;
        ObserveSent(pieces_[first_unsent_], now);
        ++first_unsent_;
        first_unsent_offset_ = 0;
      }
    }
  }
  Reset();
}

void CorkedSocket::ObserveSent(const Piece& piece, std::chrono::steady_clock::time_point& now) {
  if (piece.sampled_since == std::chrono::steady_clock::time_point{} || publish_to_socket_ns_ == nullptr) return;
  if (now == std::chrono::steady_clock::time_point{}) now = std::chrono::steady_clock::now();
  publish_to_socket_ns_->Observe(static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(now - piece.sampled_since).count()));
}

void CorkedSocket::Reset() {
  pieces_.clear();
  copies_.clear();
  owners_.clear();
  first_unsent_ = 0;
  first_unsent_offset_ = 0;
  RemovePending(pending_bytes_);
  // Whatever was not sent is gone: the stream goes on (if at all) from what the kernel took.
  unsent_frames_.clear();
  appended_total_ = sent_total_;
  sent_frames_end_ = sent_total_;
}

void CorkedSocket::Compact() {
  // Worth it once what was sent is at least half of the batch, in pieces or in copied bytes (TLS records
  // are few pieces of many bytes; without the second test their copies would grow until the batch empties).
  const bool many_pieces = first_unsent_ >= 64 && first_unsent_ >= pieces_.size() / 2;
  const Piece* unsent = first_unsent_ < pieces_.size() ? &pieces_[first_unsent_] : nullptr;
  const bool many_bytes = unsent != nullptr && unsent->shared == nullptr && unsent->copy_offset >= 64 * 1024 &&
                          unsent->copy_offset >= copies_.size() / 2;
  if (!many_pieces && !many_bytes) return;
  size_t sent_shared = 0;
  size_t first_copy = copies_.size();
  for (size_t i = 0; i < pieces_.size(); ++i) {
    if (i < first_unsent_) {
      sent_shared += pieces_[i].shared != nullptr;
    } else if (pieces_[i].shared == nullptr) {
      first_copy = std::min(first_copy, pieces_[i].copy_offset);
    }
  }
  owners_.erase(owners_.begin(), owners_.begin() + static_cast<ptrdiff_t>(sent_shared));
  pieces_.erase(pieces_.begin(), pieces_.begin() + static_cast<ptrdiff_t>(first_unsent_));
  copies_.erase(copies_.begin(), copies_.begin() + static_cast<ptrdiff_t>(first_copy));
  for (Piece& piece : pieces_) {
    if (piece.shared == nullptr) piece.copy_offset -= first_copy;
  }
  first_unsent_ = 0;
}

void CorkedSocket::Fail(boost::beast::error_code error) {
  if (error_) return;
  error_ = error;
  Reset();
  // The peer is gone or the socket is closing: shutting it down ends the pending read as well, so the
  // connection's owner learns of it.
  boost::beast::error_code ignored;
  socket_.shutdown(socket_type::shutdown_both, ignored);
}

}  // namespace armorclaw::eventbus
