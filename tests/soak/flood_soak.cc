// flood-soak: one client that never reads floods the real plugin (loaded in this process) with one kind
// of client frame at a time — text messages, pings, pongs, closes, continuation frames that never finish
// — while a bystander keeps receiving events. Prints one line per kind: the limit that applies, this
// process's resident memory (VmRSS) before, at its peak during and after the flood, the server's
// queued_bytes_peak, and whether the flooding connection was cut.
//
// With --check it exits 1 unless, for every kind, what a user would see holds: the bystander received
// every event published during the flood, queued_bytes_peak stayed within max_queue_bytes plus
// kQueueSlack, and the flooder was cut (every kind but pong: unsolicited pongs need no answer, RFC 6455
// §5.5.3, so a pong flood costs the server nothing to hold). Memory figures are never checked: they
// depend on the machine and belong in docs/security.md.
//
// Usage: flood-soak [--seconds N] [--max-queue-bytes N] [--max-message-bytes N] [--check]
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <string_view>
#include <stdexcept>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "bench/proc_files.h"
#include "bench/ws_frame.h"
#include "boost/asio/socket_base.hpp"
#include "boost/json/parse.hpp"
#include "tests/conformance/raw_ws_client.h"
#include "tests/support/running_plugin.h"
#include "tests/support/ws_client.h"

namespace armorclaw::eventbus::testing {
namespace {

namespace op = bench::opcode;
using Clock = std::chrono::steady_clock;

// How long --check floods a kind that must be cut before it calls the flooder not cut.
constexpr std::chrono::seconds kCheckCap{60};

// What --check allows queued_bytes_peak above max_queue_bytes: the bystander's few events in flight and
// one client answer.
constexpr uint64_t kQueueSlack = 64 * 1024;
// The flooder's receive buffer: small, so that the server's writes to it stall soon.
constexpr int kFlooderReceiveBuffer = 4096;

struct Options {
  int seconds = 5;
  uint64_t max_queue_bytes = 1 << 20;
  uint64_t max_message_bytes = 65536;
  bool check = false;
};

struct FrameKind {
  std::string name;
  std::string limit;  // which configured limit bounds it
  std::string first;  // sent once
  std::string repeat;  // then sent for as long as the server takes it
  bool must_be_cut;
};

std::vector<FrameKind> Kinds(const Options& options) {
  return {
      // Of the text messages, the one with the largest answer per byte sent: an unknown type, answered by
      // an invalid_message error eight times its size.
      {"data", absl::StrCat("max_queue_bytes=", options.max_queue_bytes), "",
       ClientFrame(kFin | op::kText, R"({"type":"?"})"), true},
      // The largest ping, answered by a pong as large.
      {"ping", absl::StrCat("max_queue_bytes=", options.max_queue_bytes), "",
       ClientFrame(kFin | op::kPing, std::string(125, 'p')), true},
      {"pong", "(none needed)", "", ClientFrame(kFin | op::kPong, "p"), false},
      {"close", "(closes)", "", ClientFrame(kFin | op::kClose, ClosePayload(1000)), true},
      {"fragments", absl::StrCat("max_message_bytes=", options.max_message_bytes), ClientFrame(op::kText, "{"),
       ClientFrame(op::kContinuation, std::string(1024, ' ')), true},
  };
}

// This process's resident set, in KiB.
uint64_t RssKib() {
  const int64_t kib = bench::StatusKb(getpid(), "VmRSS");
  if (kib < 0) throw std::runtime_error("no VmRSS in /proc/self/status");
  return static_cast<uint64_t>(kib);
}

struct Result {
  uint64_t rss_before_kib = 0;
  uint64_t rss_peak_kib = 0;
  uint64_t rss_after_kib = 0;
  uint64_t queued_bytes_peak = 0;
  uint64_t flood_bytes = 0;
  int bystander_events = 0;
  bool cut = false;
  double seconds_to_cut = 0;
};

// Writes as much of `bytes` as the socket takes without blocking; false once the server ended the
// connection.
bool WriteSome(boost::asio::ip::tcp::socket& socket, std::string_view bytes, uint64_t& written) {
  boost::system::error_code error;
  written += socket.write_some(boost::asio::buffer(bytes.data(), bytes.size()), error);
  if (error == boost::asio::error::would_block) {
    pollfd wait{socket.native_handle(), POLLOUT, 0};
    poll(&wait, 1, 10);
    return true;
  }
  return !error;
}

Result Flood(const Options& options, const FrameKind& kind) {
  RunningPlugin plugin(host::ConfigEntries{{"max_queue_bytes", absl::StrCat(options.max_queue_bytes)},
                                           {"max_message_bytes", absl::StrCat(options.max_message_bytes)},
                                           {"handshake_timeout", "1s"}});
  WsClient bystander(plugin.url());
  bystander.Subscribe("{}");
  Result result;
  result.rss_before_kib = result.rss_peak_kib = RssKib();

  {
    RawWsClient flooder(plugin.url(), kFlooderReceiveBuffer);
    flooder.Upgrade();
    // The 101 can reach the client before the server counts the connection: wait for the count, or a
    // flooder not yet counted would read as one already cut.
    plugin.AwaitStat("connections_open", 2);
    auto& socket = flooder.socket();
    socket.non_blocking(true);
    std::string chunk;
    while (chunk.size() < 64 * 1024) chunk += kind.repeat;
    std::string pending = kind.first + chunk;
    const Clock::time_point start = Clock::now();
    const Clock::time_point end = start + std::chrono::seconds(options.seconds);
    // With --check a flood that must be cut goes on until it is (a slower build, under a sanitizer, sends
    // less in the same time), up to a cap that only a flooder the server never cuts reaches.
    const Clock::time_point cap = start + kCheckCap;
    auto flooding = [&] {
      const Clock::time_point now = Clock::now();
      return now < end || (options.check && kind.must_be_cut && !result.cut && now < cap);
    };
    Clock::time_point next_sample = start;
    bool writable = true;
    while (flooding()) {
      if (writable) {
        uint64_t written = 0;
        writable = WriteSome(socket, pending, written);
        result.flood_bytes += written;
        pending.erase(0, written);
        if (pending.empty()) pending = chunk;
      }
      if (Clock::now() < next_sample) continue;
      next_sample += std::chrono::milliseconds(100);
      result.rss_peak_kib = std::max(result.rss_peak_kib, RssKib());
      // The bystander must be served throughout: each event published is read back before going on.
      const std::string event_id = absl::StrCat("$soak-", ++result.bystander_events);
      plugin.Publish(absl::StrCat(R"({"type":"m.room.message","room_id":"!soak:example.org",)",
                                  R"("sender":"@soak:example.org","event_id":")", event_id, R"("})"));
      const boost::json::value event = bystander.ReadJson();
      if (event.at("data").at("event").at("event_id") != boost::json::value(event_id)) {
        throw std::runtime_error("the bystander received another event than the one published");
      }
      if (!result.cut && plugin.Stat("connections_open") < 2) {
        result.cut = true;
        result.seconds_to_cut = std::chrono::duration<double>(Clock::now() - start).count();
      }
    }
  }
  // Freed once the flooder is gone, whatever it was doing.
  plugin.AwaitStat("sockets_open", 1);
  result.queued_bytes_peak = plugin.Stat("queued_bytes_peak");
  result.rss_after_kib = RssKib();
  return result;
}

bool ParseOptions(int argc, char** argv, Options& options) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    const bool has_value = i + 1 < argc;
    if (arg == "--check") {
      options.check = true;
    } else if (arg == "--seconds" && has_value && absl::SimpleAtoi(argv[i + 1], &options.seconds) &&
               options.seconds > 0) {
      ++i;
    } else if (arg == "--max-queue-bytes" && has_value && absl::SimpleAtoi(argv[i + 1], &options.max_queue_bytes)) {
      ++i;
    } else if (arg == "--max-message-bytes" && has_value &&
               absl::SimpleAtoi(argv[i + 1], &options.max_message_bytes)) {
      ++i;
    } else {
      std::cerr << "usage: flood-soak [--seconds N] [--max-queue-bytes N] [--max-message-bytes N] [--check]\n";
      return false;
    }
  }
  return true;
}

int Main(int argc, char** argv) {
  Options options;
  if (!ParseOptions(argc, argv, options)) return 2;
  std::printf("%-10s %-26s %12s %12s %12s %18s %14s %s\n", "kind", "limit", "rss_before", "rss_peak",
              "rss_after", "queued_bytes_peak", "flood_bytes", "flooder");
  bool ok = true;
  for (const FrameKind& kind : Kinds(options)) {
    const Result result = Flood(options, kind);
    const std::string fate =
        result.cut ? absl::StrCat("cut after ", absl::StrFormat("%.2f", result.seconds_to_cut), " s") : "not cut";
    std::printf("%-10s %-26s %9llu KiB %9llu KiB %9llu KiB %18llu %14llu %s\n", kind.name.c_str(),
                kind.limit.c_str(), static_cast<unsigned long long>(result.rss_before_kib),
                static_cast<unsigned long long>(result.rss_peak_kib),
                static_cast<unsigned long long>(result.rss_after_kib),
                static_cast<unsigned long long>(result.queued_bytes_peak),
                static_cast<unsigned long long>(result.flood_bytes), fate.c_str());
    std::fflush(stdout);
    if (!options.check) continue;
    if (kind.must_be_cut && !result.cut) {
      std::printf("FAIL %s: the flooding connection was not cut\n", kind.name.c_str());
      ok = false;
    }
    if (result.queued_bytes_peak > options.max_queue_bytes + kQueueSlack) {
      std::printf("FAIL %s: queued_bytes_peak %llu is over max_queue_bytes + %llu\n", kind.name.c_str(),
                  static_cast<unsigned long long>(result.queued_bytes_peak),
                  static_cast<unsigned long long>(kQueueSlack));
      ok = false;
    }
  }
  return ok ? 0 : 1;
}

}  // namespace
}  // namespace armorclaw::eventbus::testing

int main(int argc, char** argv) {
  try {
    return armorclaw::eventbus::testing::Main(argc, argv);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "flood-soak: %s\n", error.what());
    return 1;
  }
}
