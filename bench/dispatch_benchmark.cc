// Publish cost on the server side: SubscriptionIndex::Dispatch of one event among 10,000 subscriptions of
// mixed filter shapes, one sink each, as the I/O thread runs it (no sockets: delivery is a counter). The
// argument is the share of subscriptions, in percent, that no room, sender or exact type can index
// (wildcard types, not_* lists only), which every event visits. Reports events/s (items_per_second) and
// deliveries per event.
//   dispatch_benchmark --benchmark_min_time=2
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "plugin/subscription_index.h"

namespace {

using armorclaw::eventbus::Event;
using armorclaw::eventbus::EventPtr;
using armorclaw::eventbus::EventSink;
using armorclaw::eventbus::Filter;
using armorclaw::eventbus::SubscriptionIndex;
using armorclaw::eventbus::TypePatterns;

constexpr int kSubscriptions = 10'000;
constexpr int kRooms = 1'000;
constexpr int kSenders = 500;

const char* const kTypes[] = {"m.room.message", "m.room.member", "m.reaction", "workflow.started",
                              "workflow.step_completed", "agent.status", "blocker.raised", "com.armorclaw.budget.alert"};
constexpr int kTypeCount = sizeof kTypes / sizeof kTypes[0];

std::string Room(int i) { return absl::StrCat("!room", i % kRooms, ":example.org"); }
std::string Sender(int i) { return absl::StrCat("@user", i % kSenders, ":example.org"); }

class CountingSink : public EventSink {
 public:
  void Deliver(const EventPtr&) override { ++delivered; }
  uint64_t delivered = 0;
};

// Subscription i: indexed shapes in turn (room_id, a rooms list of three, sender_id, a senders list of two,
// exact types), or, for the unindexed share, wildcard types and not_* lists in turn.
Filter MixedFilter(int i, bool unindexed) {
  Filter filter;
  if (unindexed) {
    switch (i % 3) {
      case 0: filter.types = TypePatterns({"workflow.*", "agent.*"}); break;
      case 1: filter.not_senders = {Sender(i)}; filter.not_types = TypePatterns({"m.*"}); break;
      default: filter.not_rooms = {Room(i)}; filter.event_types = TypePatterns({"*.raised"}); break;
    }
    return filter;
  }
  switch (i % 5) {
    case 0: filter.room_id = Room(i); break;
    case 1: filter.rooms = std::vector<std::string>{Room(i), Room(i + 1), Room(i + 2)}; break;
    case 2: filter.sender_id = Sender(i); break;
    case 3: filter.senders = std::vector<std::string>{Sender(i), Sender(i + 1)}; break;
    default: filter.types = TypePatterns({kTypes[i % kTypeCount]}); break;
  }
  return filter;
}

void BM_Dispatch10kMixedSubscriptions(benchmark::State& state) {
  const int unindexed_percent = static_cast<int>(state.range(0));
  SubscriptionIndex index;
  std::vector<std::unique_ptr<CountingSink>> sinks;
  for (int i = 0; i < kSubscriptions; ++i) {
    sinks.push_back(std::make_unique<CountingSink>());
    // Spread evenly: subscription i is unindexed when its share of the percentage ticks over.
    const bool unindexed = (i * unindexed_percent / 100) != ((i + 1) * unindexed_percent / 100);
    index.Add(absl::StrCat("sub-", i), sinks.back().get(), MixedFilter(i, unindexed));
  }
  std::vector<EventPtr> events;
  for (int i = 0; i < 1'000; ++i) {
    auto event = std::make_shared<Event>();
    event->type = kTypes[i % kTypeCount];
    event->room_id = Room(i * 7);
    event->sender = Sender(i * 13);
    events.push_back(std::move(event));
  }
  size_t next = 0;
  uint64_t delivered = 0;
  for (auto _ : state) {
    delivered += index.Dispatch(events[next++ % events.size()]);
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["deliveries_per_event"] =
      benchmark::Counter(static_cast<double>(delivered) / static_cast<double>(state.iterations()));
}
BENCHMARK(BM_Dispatch10kMixedSubscriptions)->Arg(0)->Arg(1)->Arg(10)->Arg(100);

}  // namespace

BENCHMARK_MAIN();
