#include "plugin/subscription_index.h"

#include <algorithm>
#include <utility>


namespace armorclaw::eventbus {

std::vector<SubscriptionIndex::Subscription*>& SubscriptionIndex::ListFor(const Placement& placement) {
  return placement.buckets == nullptr ? unindexed_ : (*placement.buckets)[placement.key];
}

void SubscriptionIndex::Add(std::string id, EventSink* sink, Filter filter) {
  SinkState& owner = sinks_.try_emplace(sink, SinkState{sink, 0, {}}).first->second;
  owner.ids.push_back(id);
  Subscription& subscription =
      by_id_.try_emplace(std::move(id), Subscription{std::move(filter), &owner, {}}).first->second;
  const Filter& f = subscription.filter;
  auto place_under = [&](Buckets& buckets, const std::vector<std::string>& keys) {
    for (const std::string& key : keys) subscription.placements.push_back({&buckets, key});
  };
  // Every field must match, so listing a subscription under the values of any one positive field finds
  // it for every event it can match. Rooms first: they are the most selective, and room-restricted
  // tokens always have them. An empty list ([] for rooms, senders or types) places it nowhere:
  // it matches nothing.
  if (f.room_id) {
    place_under(by_room_, {*f.room_id});
  } else if (f.rooms) {
    place_under(by_room_, *f.rooms);
  } else if (f.allowed_rooms) {
    place_under(by_room_, *f.allowed_rooms);
  } else if (f.sender_id) {
    place_under(by_sender_, {*f.sender_id});
  } else if (f.senders) {
    place_under(by_sender_, *f.senders);
  } else if (f.event_types && !f.event_types->has_wildcards()) {
    place_under(by_type_, f.event_types->exact());
  } else if (f.types && !f.types->has_wildcards()) {
    place_under(by_type_, f.types->exact());
  } else {
    // Nothing to look it up by (no filter, wildcard types, not_* lists only): checked for every event.
    subscription.placements.push_back({nullptr, {}});
  }
  for (const Placement& placement : subscription.placements) ListFor(placement).push_back(&subscription);
}

void SubscriptionIndex::Erase(std::unordered_map<std::string, Subscription>::iterator it) {
  Subscription* subscription = &it->second;
  for (const Placement& placement : subscription->placements) {
    std::vector<Subscription*>& list = ListFor(placement);
    list.erase(std::find(list.begin(), list.end(), subscription));
    // Drop empty buckets so that rooms nobody watches any more cost no memory.
    if (list.empty() && placement.buckets != nullptr) placement.buckets->erase(placement.key);
  }
  by_id_.erase(it);
}

bool SubscriptionIndex::Remove(std::string_view id, const EventSink* sink) {
  auto it = by_id_.find(std::string(id));
  if (it == by_id_.end() || it->second.owner->sink != sink) return false;
  SinkState& owner = *it->second.owner;
  owner.ids.erase(std::find(owner.ids.begin(), owner.ids.end(), id));
  Erase(it);
  if (owner.ids.empty()) sinks_.erase(sink);
  return true;
}

size_t SubscriptionIndex::RemoveAll(const EventSink* sink) {
  auto owner = sinks_.find(sink);
  if (owner == sinks_.end()) return 0;
  const size_t removed = owner->second.ids.size();
  for (const std::string& id : owner->second.ids) Erase(by_id_.find(id));
  sinks_.erase(owner);
  return removed;
}

size_t SubscriptionIndex::CountFor(const EventSink* sink) const {
  auto owner = sinks_.find(sink);
  return owner == sinks_.end() ? 0 : owner->second.ids.size();
}

void SubscriptionIndex::Visit(const std::vector<Subscription*>& list, const EventPtr& event,
                              size_t& delivered) {
  for (Subscription* subscription : list) {
    SinkState& owner = *subscription->owner;
    if (owner.last_dispatch == dispatch_counter_ || !subscription->filter.Matches(*event)) continue;
    owner.last_dispatch = dispatch_counter_;
    owner.sink->Deliver(event);
    ++delivered;
  }
}

size_t SubscriptionIndex::Dispatch(const EventPtr& event) {
  ++dispatch_counter_;
  size_t delivered = 0;
  auto visit_bucket = [&](const Buckets& buckets, const std::string& key) {
    if (key.empty()) return;
    if (auto it = buckets.find(key); it != buckets.end()) Visit(it->second, event, delivered);
  };
  visit_bucket(by_room_, event->room_id);
  visit_bucket(by_sender_, event->sender);
  visit_bucket(by_type_, event->type);
  Visit(unindexed_, event, delivered);
  return delivered;
}

}  // namespace armorclaw::eventbus
