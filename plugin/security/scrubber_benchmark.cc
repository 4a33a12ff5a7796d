// Cost of scrubbing per KiB of text, for typical messages and for inputs built to defeat a regex engine.
// Each iteration scrubs a fresh copy, because scrubbing is in place and the second pass has nothing to do;
// the copy is a memcpy, small beside the scan.
#include <string>
#include <string_view>

#include "benchmark/benchmark.h"
#include "boost/json/object.hpp"
#include "boost/json/parse.hpp"
#include "plugin/security/scrubber.h"

namespace armorclaw::eventbus {
namespace {

const Scrubber& TheScrubber() {
  static const Scrubber* const scrubber = new Scrubber(Scrubber::Create().value());
  return *scrubber;
}

std::string Repeat(std::string_view unit, size_t bytes) {
  std::string text;
  while (text.size() < bytes) text += unit;
  return text;
}

// Bytes per second, and its inverse per KiB, which is the figure the bridge budgets with.
void ReportThroughput(benchmark::State& state, size_t bytes) {
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes));
  state.counters["time_per_KiB"] =
      benchmark::Counter(static_cast<double>(state.iterations() * bytes) / 1024.0,
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

void BM_ScrubString(benchmark::State& state, const std::string& message) {
  const Scrubber& scrubber = TheScrubber();
  for (auto _ : state) {
    std::string text = message;
    benchmark::DoNotOptimize(scrubber.ScrubString(text));
    benchmark::DoNotOptimize(text.data());
  }
  ReportThroughput(state, message.size());
}

const std::string kChat =
    "Hey team, the deploy of v2.10.4 finished at 12:34:56 on 2026-11-27 (build 1432735824653). "
    "Details in https://matrix.to/#/!OGEhHVWSdvArJzumhm:matrix.org/$143273582443PhrSn:example.org and "
    "commit a94a8fe5ccb19ba61c4c0873d391e987982fbbd3. @alice:example.org can you check the dashboard? ";
const std::string kChatWithPii =
    "Hi, I'm Alice (alice.smith@example.com, +1 415 555 2671). My card is 4111 1111 1111 1111 and the VPN "
    "is at 10.20.30.40; use token=ghp_aB3dE5fG7hI9jK1lM3nO5pQ7rS9tU1vW3xY5 and password: hunter2 please. ";

BENCHMARK_CAPTURE(BM_ScrubString, chat_clean, kChat);
BENCHMARK_CAPTURE(BM_ScrubString, chat_with_pii, kChatWithPii);
BENCHMARK_CAPTURE(BM_ScrubString, chat_clean_4KiB, Repeat(kChat, 4096));
BENCHMARK_CAPTURE(BM_ScrubString, chat_with_pii_4KiB, Repeat(kChatWithPii, 4096));
BENCHMARK_CAPTURE(BM_ScrubString, digits_64KiB, Repeat("0123456789", 64 * 1024));
BENCHMARK_CAPTURE(BM_ScrubString, digit_groups_64KiB, Repeat("4111 ", 64 * 1024));
BENCHMARK_CAPTURE(BM_ScrubString, dotted_digits_64KiB, Repeat("1.", 64 * 1024));
BENCHMARK_CAPTURE(BM_ScrubString, backtracking_local_part_at, std::string(30000, 'a') + "@");
BENCHMARK_CAPTURE(BM_ScrubString, backtracking_nested_quantifier, std::string(30000, 'a') + "!");
// The slowest inputs found: a candidate address, or a key inside an identifier, every few bytes.
BENCHMARK_CAPTURE(BM_ScrubString, ipv6_candidates_64KiB, Repeat("::1:", 64 * 1024));
BENCHMARK_CAPTURE(BM_ScrubString, keys_in_identifiers_64KiB, Repeat("@a.token:", 64 * 1024));

// A whole m.room.message at ingest: the walk through content plus its strings (and the copy of the event).
void BM_ScrubEvent(benchmark::State& state) {
  const boost::json::object event = boost::json::parse(R"({
    "type": "m.room.message", "room_id": "!OGEhHVWSdvArJzumhm:matrix.org", "sender": "@alice:example.org",
    "event_id": "$143273582443PhrSn:example.org", "origin_server_ts": 1432735824653,
    "content": {"msgtype": "m.text", "body": "Reach me at alice@example.com or +1 415 555 2671",
                "format": "org.matrix.custom.html",
                "formatted_body": "Reach me at <b>alice@example.com</b> or +1 415 555 2671",
                "m.relates_to": {"m.in_reply_to": {"event_id": "$x:example.org"}}}
  })").as_object();
  const Scrubber& scrubber = TheScrubber();
  for (auto _ : state) {
    boost::json::object copy = event;
    benchmark::DoNotOptimize(scrubber.ScrubEvent(copy));
  }
}
BENCHMARK(BM_ScrubEvent);

}  // namespace
}  // namespace armorclaw::eventbus

BENCHMARK_MAIN();
