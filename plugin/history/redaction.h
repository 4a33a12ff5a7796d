// Matrix redactions in replays: an m.room.redaction in the stream makes every later replay of its target
// carry the redacted form, so that a resuming client is never sent content the room has since deleted.
// What was sent live stays as it was sent: clients apply the redactions they receive live themselves.
//
// Applied at replay time over the range replayed, (since, head]: a redaction always comes after its target,
// so a target inside the range has its redaction (if any) inside it too. Core logic: no socket.
#ifndef ARMORCLAW_EVENTBUS_PLUGIN_HISTORY_REDACTION_H_
#define ARMORCLAW_EVENTBUS_PLUGIN_HISTORY_REDACTION_H_

#include <span>
#include <string>
#include <unordered_map>

#include "boost/json/object.hpp"
#include "plugin/event.h"

namespace armorclaw::eventbus {

// The Matrix redaction algorithm of room version 11 (spec: rooms/v11, "Redactions") applied to a copy of
// `event`: only the top-level keys the algorithm keeps, and of `content` only the keys it keeps for the
// event's type (none for most types). `unsigned` becomes {"redacted_because": redaction}.
boost::json::object RedactedEvent(const boost::json::object& event, const boost::json::object& redaction);

// The redactions among the events of one replay range, and what they do to the events replayed.
class ReplayRedactions {
 public:
  // Called for every event of the range, in order (matching the filter or not: a redaction the client
  // would not receive still hides its target's content). Notes an m.room.redaction naming its target in
  // content.redacts (room v11) or in a top-level redacts (earlier versions); the first one counts.
  void Note(const EventPtr& event);
  // Replaces each event of `replay` that a noted redaction of the same room targets by a copy in its
  // redacted form, with the same sequence and received time.
  void Apply(std::span<EventPtr> replay) const;

 private:
  std::unordered_map<std::string, EventPtr> redaction_by_target_;
};

}  // namespace armorclaw::eventbus

#endif  // ARMORCLAW_EVENTBUS_PLUGIN_HISTORY_REDACTION_H_
