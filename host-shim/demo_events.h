#ifndef ARMORCLAW_HOST_SHIM_DEMO_EVENTS_H_
#define ARMORCLAW_HOST_SHIM_DEMO_EVENTS_H_

#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <utility>

#include "absl/time/time.h"

namespace armorclaw::host {

// A synthetic Matrix room timeline, in the client-server event format of the Matrix spec
// examples: m.room.message (m.text and m.emote), m.room.member, m.reaction, m.room.topic and
// m.room.name across three rooms and three senders. Every event has type, room_id, sender, a
// unique event_id and origin_server_ts; state events have state_key. Deterministic for a seed, so
// tests can check the shapes.
class DemoEventGenerator {
 public:
  static constexpr const char* kRooms[] = {"!lobby:example.org", "!ops:example.org",
                                           "!random:example.org"};
  static constexpr const char* kSenders[] = {"@alice:example.org", "@bob:example.org",
                                             "@carol:example.org"};

  explicit DemoEventGenerator(uint64_t seed);

  // The next event as one line of JSON, stamped with `now`.
  std::string Next(absl::Time now);

 private:
  std::string NewEventId();

  std::mt19937_64 random_;
  uint64_t run_id_;  // Keeps event ids of separate runs apart.
  uint64_t count_ = 0;
  // Per room, the last message, so that reactions annotate an event that exists.
  std::map<std::string, std::string> last_message_;
  // Per (room, sender), whether the sender is currently joined; member events flip it.
  std::map<std::pair<std::string, std::string>, bool> joined_;
};

}  // namespace armorclaw::host

#endif  // ARMORCLAW_HOST_SHIM_DEMO_EVENTS_H_
