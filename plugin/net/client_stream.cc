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

}  // namespace

size_t ClientStream::SealedSize(size_t plaintext) {
  return plaintext + (plaintext + kRecordPlaintext - 1) / kRecordPlaintext * kRecordOverhead;
}

bool ClientStream::HasRoom(size_t bytes) {
  if (!tls_) return corked_.HasRoom(bytes);
  if (corked_.HasRoom(SealedSize(waiting_bytes_ + bytes))) return true;
  // What waits may fit in the socket now: encrypt it, let CorkedSocket send early, and judge again.
  Seal();
  return corked_.HasRoom(SealedSize(bytes));
}

void ClientStream::WriteSharedFrame(std::string_view frame, std::shared_ptr<const void> owner,
                                    std::chrono::steady_clock::time_point sampled_since) {
  if (!tls_) {
    corked_.ShareNext(frame.data(), std::move(owner), sampled_since);
    boost::beast::error_code ignored;  // A failed socket is reported by the pending read.
    corked_.write_some(boost::asio::buffer(frame.data(), frame.size()), ignored);
    return;
  }
  waiting_.push_back({frame, std::move(owner), sampled_since});
  waiting_bytes_ += frame.size();
  if (ByteGauge* gauge = corked_.gauge()) gauge->Add(frame.size());
}

void ClientStream::Flush() {
  if (tls_) Seal();
  corked_.Flush();
}

void ClientStream::Seal() {
  if (waiting_.empty()) return;
  // Taken first: a write below may fail the stream and end in code that writes again.
  std::vector<WaitingFrame> frames;
  frames.swap(waiting_);
  if (ByteGauge* gauge = corked_.gauge()) gauge->Remove(waiting_bytes_);
  waiting_bytes_ = 0;

  // The frames are gathered, a record's worth at a time, into one buffer for all connections (the I/O
  // thread is the only one that writes): a copy of the plaintext costs far less than a record per frame.
  static thread_local std::array<char, kRecordPlaintext> record;
  size_t filled = 0;
  std::chrono::steady_clock::time_point sampled_since;  // The earliest of the record's sampled frames.
  boost::beast::error_code error;
  auto encrypt = [&] {
    size_t done = 0;
    while (done < filled && !error) {
      done += tls_->write_some(boost::asio::buffer(record.data() + done, filled - done), error);
    }
    if (sampled_since != std::chrono::steady_clock::time_point{}) corked_.SampleLast(sampled_since);
    filled = 0;
    sampled_since = {};
  };
  for (const WaitingFrame& waiting : frames) {
    if (waiting.sampled_since != std::chrono::steady_clock::time_point{} &&
        sampled_since == std::chrono::steady_clock::time_point{}) {
      sampled_since = waiting.sampled_since;
    }
    std::string_view rest = waiting.frame;
    while (!rest.empty() && !error) {
      const size_t taken = std::min(rest.size(), record.size() - filled);
      std::memcpy(record.data() + filled, rest.data(), taken);
      filled += taken;
      rest.remove_prefix(taken);
      if (filled == record.size()) encrypt();
    }
    // A failure means the stream is closing, which the pending read reports; the rest is dropped.
    if (error) return;
  }
  if (filled > 0) encrypt();
  // The vector's room is kept for the next batch.
  frames.clear();
  if (waiting_.empty()) waiting_.swap(frames);
}

}  // namespace armorclaw::eventbus
