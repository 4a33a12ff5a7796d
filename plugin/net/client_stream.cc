#include "plugin/net/client_stream.h"

#include <array>
#include <cstring>

namespace armorclaw::eventbus {
namespace {

// The most plaintext one TLS record carries. Asio's engine asks OpenSSL for partial writes, so one
// SSL_write makes one record: gathering more than this per call would buy nothing.
constexpr size_t kRecordPlaintext = 16 * 1024;
// The most a record adds to its plaintext, whatever the negotiated suite: header 5, explicit IV 16, MAC 48
// (TLS 1.2 CBC with SHA-384), padding 256. TLS 1.3 and the GCM suites add 22 or 29.
constexpr size_t kRecordOverhead = 5 + 16 + 48 + 256;
// How much ciphertext a flush prepares ahead of the socket: enough for a large writev, little enough that
// a client that falls behind costs references to shared frames rather than its own copy of each.
constexpr size_t kSealAhead = 256 * 1024;

}  // namespace

size_t ClientStream::SealedSize(size_t plaintext) {
  return plaintext + (plaintext + kRecordPlaintext - 1) / kRecordPlaintext * kRecordOverhead;
}

bool ClientStream::HasRoom(size_t bytes) {
  if (!tls_) return corked_.HasRoom(bytes);
  if (corked_.HasRoom(SealedSize(waiting_bytes_ + bytes))) return true;
  // The socket may take some of what waits now: encrypt and send it, and judge again.
  Flush();
  return corked_.HasRoom(SealedSize(waiting_bytes_ + bytes));
}

void ClientStream::WriteSharedFrame(std::string_view frame, std::shared_ptr<const void> owner,
                                    std::chrono::steady_clock::time_point sampled_since) {
  if (!tls_) {
    corked_.ShareNext(frame.data(), std::move(owner), sampled_since);
    boost::beast::error_code ignored;  // A failed socket is reported by the pending read.
    corked_.write_some(boost::asio::buffer(frame.data(), frame.size()), ignored);
    return;
  }
  if (corked_.failed()) return;
  waiting_.push_back({frame, std::move(owner), sampled_since});
  waiting_bytes_ += frame.size();
  if (ByteGauge* gauge = corked_.gauge()) gauge->Add(frame.size());
}

void ClientStream::Flush() {
  if (!tls_) return corked_.Flush();
  for (;;) {
    while (!waiting_.empty() && corked_.pending_bytes() < kSealAhead) {
      if (!SealRecord()) return;
    }
    corked_.Flush();
    // Done when nothing waits, or when the socket is behind (it calls back once it has taken the batch).
    if (waiting_.empty() || corked_.pending_bytes() >= kSealAhead || corked_.failed()) return;
  }
}

void ClientStream::Seal() {
  while (!waiting_.empty()) {
    if (!SealRecord()) return;
  }
}

bool ClientStream::SealRecord() {
  // The frames are gathered into one buffer for all connections (only the I/O thread writes): a copy of
  // the plaintext costs far less than a record per frame.
  static thread_local std::array<char, kRecordPlaintext> record;
  size_t filled = 0;
  std::chrono::steady_clock::time_point sampled_since;  // The earliest of the record's sampled frames.
  while (!waiting_.empty() && filled < record.size()) {
    const WaitingFrame& waiting = waiting_.front();
    const size_t taken = std::min(waiting.frame.size() - first_frame_sealed_, record.size() - filled);
    std::memcpy(record.data() + filled, waiting.frame.data() + first_frame_sealed_, taken);
    filled += taken;
    first_frame_sealed_ += taken;
    if (first_frame_sealed_ < waiting.frame.size()) break;
    // Timed from the record that carries the frame's end.
    if (sampled_since == std::chrono::steady_clock::time_point{}) sampled_since = waiting.sampled_since;
    // Kept alive until the record is written: `record` holds a copy, not a reference.
    waiting_.pop_front();
    first_frame_sealed_ = 0;
  }
  waiting_bytes_ -= filled;
  if (ByteGauge* gauge = corked_.gauge()) gauge->Remove(filled);

  boost::beast::error_code error;
  for (size_t done = 0; done < filled && !error;) {
    done += tls_->write_some(boost::asio::buffer(record.data() + done, filled - done), error);
  }
  if (error) {
    // The stream is closing, which the pending read reports: what waits is dropped.
    Drop();
    return false;
  }
  if (sampled_since != std::chrono::steady_clock::time_point{}) corked_.SampleLast(sampled_since);
  return true;
}

void ClientStream::PassCleared() {
  const auto cleared = static_cast<size_t>(guard_->cleared() - screened_);
  const std::string_view bytes(held_.data(), cleared);
  if (!inflater_ || inflater_->Feed(bytes, ready_)) ready_.append(bytes);
  held_.erase(0, cleared);
  screened_ += cleared;
}

void ClientStream::Drop() {
  if (ByteGauge* gauge = corked_.gauge()) gauge->Remove(waiting_bytes_);
  waiting_.clear();
  first_frame_sealed_ = 0;
  waiting_bytes_ = 0;
}

}  // namespace armorclaw::eventbus
