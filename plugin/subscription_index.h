// Every active subscription, indexed so that matching an event costs what its candidates cost, not what
// all subscriptions cost. Owned and used by the I/O thread only.
//
// The tables are the standard library's, not Abseil's: an insert that runs out of memory must leave a
// table as it was (the I/O thread logs the failure and goes on), and Abseil's hash tables as Debian ships
// them are left corrupt when an allocation fails while they grow.
#ifndef ARMORCLAW_EVENTBUS_PLUGIN_SUBSCRIPTION_INDEX_H_
#define ARMORCLAW_EVENTBUS_PLUGIN_SUBSCRIPTION_INDEX_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "plugin/event.h"
#include "plugin/filter.h"

namespace armorclaw::eventbus {

// Where matched events go: one per connection.
class EventSink {
 public:
  virtual void Deliver(const EventPtr& event) = 0;

 protected:
  ~EventSink() = default;
};

class SubscriptionIndex {
 public:
  // `id` must be new (callers draw it at random).
  void Add(std::string id, EventSink* sink, Filter filter);
  // Removes subscription `id` when `sink` owns it; false when there is no such id or another sink owns it.
  bool Remove(std::string_view id, const EventSink* sink);
  // Removes every subscription of `sink`; returns how many there were.
  size_t RemoveAll(const EventSink* sink);

  // Delivers `event` once to every sink that has at least one matching subscription, in the order sinks
  // first matched. Returns the number of sinks delivered to.
  size_t Dispatch(const EventPtr& event);

  size_t size() const { return by_id_.size(); }
  size_t CountFor(const EventSink* sink) const;

 private:
  struct SinkState {
    EventSink* sink;
    uint64_t last_dispatch = 0;  // Dispatch counter of the last delivery, so a sink gets an event once.
    std::vector<std::string> ids;
  };
  struct Subscription;
  using Buckets = std::unordered_map<std::string, std::vector<Subscription*>>;
  // Where a subscription is listed: `buckets[key]`, or the unindexed list when `buckets` is null.
  struct Placement {
    Buckets* buckets;
    std::string key;
  };
  struct Subscription {
    Filter filter;
    SinkState* owner;
    std::vector<Placement> placements;
  };

  std::vector<Subscription*>& ListFor(const Placement& placement);
  void Erase(std::unordered_map<std::string, Subscription>::iterator it);
  void Visit(const std::vector<Subscription*>& list, const EventPtr& event, size_t& delivered);

  std::unordered_map<std::string, Subscription> by_id_;
  std::unordered_map<const EventSink*, SinkState> sinks_;
  // A subscription is listed under its room(s) if it names any (room_id, rooms), else under each room its
  // client may see, else under its sender(s), else under each of its event types when none has a
  // wildcard, else in the unindexed list that every event visits; Filter::Matches checks the rest.
  Buckets by_room_;
  Buckets by_sender_;
  Buckets by_type_;
  std::vector<Subscription*> unindexed_;
  uint64_t dispatch_counter_ = 0;
};

}  // namespace armorclaw::eventbus

#endif  // ARMORCLAW_EVENTBUS_PLUGIN_SUBSCRIPTION_INDEX_H_
