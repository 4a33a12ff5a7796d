#include "plugin/subscription_index.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace armorclaw::eventbus {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

class RecordingSink : public EventSink {
 public:
  void Deliver(const EventPtr& event) override { received.push_back(event->sequence); }
  std::vector<uint64_t> received;
};

Filter RoomFilter(std::string room) {
  Filter filter;
  filter.room_id = std::move(room);
  return filter;
}

Filter SenderFilter(std::string sender) {
  Filter filter;
  filter.sender_id = std::move(sender);
  return filter;
}

Filter TypesFilter(std::vector<std::string> types) {
  Filter filter;
  filter.event_types = TypePatterns(std::move(types));
  return filter;
}

class SubscriptionIndexTest : public ::testing::Test {
 protected:
  size_t Publish(std::string type, std::string room, std::string sender) {
    auto event = std::make_shared<Event>();
    event->type = std::move(type);
    event->room_id = std::move(room);
    event->sender = std::move(sender);
    event->sequence = ++sequence_;
    return index_.Dispatch(event);
  }

  SubscriptionIndex index_;
  uint64_t sequence_ = 0;
};

TEST_F(SubscriptionIndexTest, EachBucketKindMatchesOnlyWhatItShould) {
  RecordingSink all, room, sender, types;
  index_.Add("all", &all, Filter{});
  index_.Add("room", &room, RoomFilter("!a:x"));
  index_.Add("sender", &sender, SenderFilter("@bob:x"));
  index_.Add("types", &types, TypesFilter({"m.reaction", "m.room.member"}));
  EXPECT_EQ(Publish("m.room.message", "!a:x", "@ann:x"), 2u);  // 1
  EXPECT_EQ(Publish("m.room.member", "!b:x", "@bob:x"), 3u);   // 2
  EXPECT_EQ(Publish("m.reaction", "!b:x", "@ann:x"), 2u);      // 3
  EXPECT_EQ(Publish("m.room.topic", "", ""), 1u);              // 4
  EXPECT_THAT(all.received, ElementsAre(1, 2, 3, 4));
  EXPECT_THAT(room.received, ElementsAre(1));
  EXPECT_THAT(sender.received, ElementsAre(2));
  EXPECT_THAT(types.received, ElementsAre(2, 3));
}

TEST_F(SubscriptionIndexTest, ASinkWithSeveralMatchingSubscriptionsGetsTheEventOnce) {
  RecordingSink sink;
  index_.Add("1", &sink, Filter{});
  index_.Add("2", &sink, RoomFilter("!a:x"));
  index_.Add("3", &sink, TypesFilter({"m.room.message"}));
  EXPECT_EQ(Publish("m.room.message", "!a:x", "@a:x"), 1u);
  EXPECT_THAT(sink.received, ElementsAre(1));
  EXPECT_EQ(index_.CountFor(&sink), 3u);
}

TEST_F(SubscriptionIndexTest, RemoveStopsMatchingAndOnlyTheOwnerMayRemove) {
  RecordingSink owner, stranger;
  index_.Add("sub-1", &owner, RoomFilter("!a:x"));
  EXPECT_FALSE(index_.Remove("sub-1", &stranger));
  EXPECT_FALSE(index_.Remove("sub-2", &owner));
  Publish("t", "!a:x", "@a:x");
  EXPECT_TRUE(index_.Remove("sub-1", &owner));
  Publish("t", "!a:x", "@a:x");
  EXPECT_THAT(owner.received, ElementsAre(1));
  EXPECT_EQ(index_.size(), 0u);
}

TEST_F(SubscriptionIndexTest, RemoveAllFreesEverythingOfOneSink) {
  RecordingSink leaving, staying;
  index_.Add("a", &leaving, Filter{});
  index_.Add("b", &leaving, RoomFilter("!a:x"));
  index_.Add("c", &leaving, TypesFilter({"t", "u"}));
  index_.Add("d", &staying, RoomFilter("!a:x"));
  EXPECT_EQ(index_.RemoveAll(&leaving), 3u);
  EXPECT_EQ(index_.size(), 1u);
  EXPECT_EQ(index_.CountFor(&leaving), 0u);
  Publish("t", "!a:x", "@a:x");
  EXPECT_THAT(leaving.received, IsEmpty());
  EXPECT_THAT(staying.received, ElementsAre(1));
  EXPECT_EQ(index_.RemoveAll(&leaving), 0u);
}

TEST_F(SubscriptionIndexTest, MatrixListsAreFoundUnderEachOfTheirValues) {
  RecordingSink rooms, senders, types, empty_rooms;
  Filter by_rooms;
  by_rooms.rooms = std::vector<std::string>{"!a:x", "!b:x"};
  Filter by_senders;
  by_senders.senders = std::vector<std::string>{"@bob:x", "orchestrator"};
  Filter by_types;
  by_types.types = TypePatterns({"m.reaction", "workflow.started"});
  Filter nothing;
  nothing.rooms = std::vector<std::string>{};
  index_.Add("rooms", &rooms, by_rooms);
  index_.Add("senders", &senders, by_senders);
  index_.Add("types", &types, by_types);
  index_.Add("nothing", &empty_rooms, nothing);
  Publish("m.room.message", "!a:x", "@ann:x");      // 1
  Publish("workflow.started", "", "orchestrator");  // 2
  Publish("m.reaction", "!b:x", "@bob:x");          // 3
  Publish("m.room.message", "!c:x", "@ann:x");      // 4
  EXPECT_THAT(rooms.received, ElementsAre(1, 3));
  EXPECT_THAT(senders.received, ElementsAre(2, 3));
  EXPECT_THAT(types.received, ElementsAre(2, 3));
  EXPECT_THAT(empty_rooms.received, IsEmpty());
  EXPECT_EQ(index_.RemoveAll(&empty_rooms), 1u);
}

TEST_F(SubscriptionIndexTest, UnindexableFiltersAreCheckedForEveryEvent) {
  RecordingSink wildcard, excluding, mixed;
  index_.Add("wildcard", &wildcard, TypesFilter({"workflow.*"}));
  Filter not_only;
  not_only.not_senders = {"orchestrator"};
  index_.Add("excluding", &excluding, not_only);
  Filter wildcard_and_exact = TypesFilter({"agent.*", "m.reaction"});
  index_.Add("mixed", &mixed, wildcard_and_exact);
  Publish("workflow.started", "", "orchestrator");  // 1
  Publish("agent.status", "!a:x", "@bot:x");        // 2
  Publish("m.reaction", "!a:x", "orchestrator");    // 3
  Publish("workflow", "!a:x", "@ann:x");            // 4
  EXPECT_THAT(wildcard.received, ElementsAre(1));
  EXPECT_THAT(excluding.received, ElementsAre(2, 4));
  EXPECT_THAT(mixed.received, ElementsAre(2, 3));
  EXPECT_EQ(index_.RemoveAll(&wildcard) + index_.RemoveAll(&excluding) + index_.RemoveAll(&mixed), 3u);
  EXPECT_EQ(Publish("workflow.started", "", "@ann:x"), 0u);
}

}  // namespace
}  // namespace armorclaw::eventbus
