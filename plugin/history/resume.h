// What a subscribe with "since" gets: the retained events it missed, all of them or none, and why not.
// Core logic: no socket; the session sends what this decides.
#ifndef ARMORCLAW_EVENTBUS_PLUGIN_HISTORY_RESUME_H_
#define ARMORCLAW_EVENTBUS_PLUGIN_HISTORY_RESUME_H_

#include <cstddef>
#include <vector>

#include "plugin/event.h"
#include "plugin/filter.h"
#include "plugin/history/retained_events.h"
#include "plugin/protocol.h"

namespace armorclaw::eventbus {

// `head` is the last sequence dispatched, of history `here.epoch`. Recovered when `since` is of the same
// epoch and earliest - 1 <= since.sequence <= head and at most `max_replay` retained events after it match
// `filter`: they are appended to `replay`, oldest first. Otherwise `replay` is left empty and the reason
// says why (a partial replay would look complete to the client).
ResumeOutcome PlanResume(const RetainedEvents& history, const StreamPosition& here, const StreamPosition& since,
                         const Filter& filter, size_t max_replay, std::vector<EventPtr>& replay);

}  // namespace armorclaw::eventbus

#endif  // ARMORCLAW_EVENTBUS_PLUGIN_HISTORY_RESUME_H_
