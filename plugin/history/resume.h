// What a subscribe with "since" gets: the events it missed, all of them or none, and why not. They come
// from the history in memory when it reaches back to the cursor, otherwise from the durable log (rebuilt
// into the very frames clients received live). Core logic: no socket; the session sends what this decides.
#ifndef ARMORCLAW_EVENTBUS_PLUGIN_HISTORY_RESUME_H_
#define ARMORCLAW_EVENTBUS_PLUGIN_HISTORY_RESUME_H_

#include <cstddef>
#include <vector>

#include "absl/status/status.h"
#include "plugin/event.h"
#include "plugin/filter.h"
#include "plugin/history/durable_log.h"
#include "plugin/history/retained_events.h"
#include "plugin/protocol.h"

namespace armorclaw::eventbus {

// What the durable log gave a resume, for the stats and the operator's log.
struct DiskReplay {
  size_t events = 0;    // Replayed events read from the log.
  absl::Status status;  // Not ok: the log could not be read; the resume was answered too_old.
};

// `head` is the last sequence dispatched, of history `here.epoch`. `log` (null: off, or broken by a failed
// write) holds every dispatched event from its first_offset to at least head, so that earliest is the
// older of its first offset and the memory's. Recovered when `since` is of the same epoch and
// earliest - 1 <= since.sequence <= head and at most `max_replay` events after it match `filter`: they are
// appended to `replay`, oldest first. Otherwise `replay` is left empty and the reason says why (a partial
// replay would look complete to the client). Reading the log runs on the caller's thread (the I/O thread):
// the records from the cursor on are read until the memory's earliest, or until one more than max_replay
// match (too_many is then known, and the rest of the range is not read).
ResumeOutcome PlanResume(const RetainedEvents& history, const StreamPosition& here, const StreamPosition& since,
                         const Filter& filter, size_t max_replay, std::vector<EventPtr>& replay,
                         const DurableLog* log = nullptr, DiskReplay* disk = nullptr);

}  // namespace armorclaw::eventbus

#endif  // ARMORCLAW_EVENTBUS_PLUGIN_HISTORY_RESUME_H_
