#include "plugin/history/resume.h"

#include <span>

#include "plugin/history/redaction.h"

namespace armorclaw::eventbus {

ResumeOutcome PlanResume(const RetainedEvents& history, const StreamPosition& here, const StreamPosition& since,
                         const Filter& filter, size_t max_replay, std::vector<EventPtr>& replay) {
  ResumeOutcome outcome;
  outcome.earliest = history.earliest(here.sequence);
  if (since.epoch != here.epoch) {
    outcome.reason = resume_reason::kEpochMismatch;
  } else if (since.sequence > here.sequence) {
    outcome.reason = resume_reason::kFuture;
  } else if (since.sequence + 1 < outcome.earliest) {
    outcome.reason = resume_reason::kTooOld;
  }
  if (!outcome.reason.empty()) return outcome;
  const size_t first = replay.size();
  ReplayRedactions redactions;
  for (const EventPtr& event : history.After(since.sequence)) {
    redactions.Note(event);
    if (!filter.Matches(*event)) continue;
    if (replay.size() - first == max_replay) {
      replay.resize(first);
      outcome.reason = resume_reason::kTooMany;
      return outcome;
    }
    replay.push_back(event);
  }
  // The one place a replay is assembled: wherever its events were read from, it never carries content the
  // room has redacted.
  redactions.Apply(std::span<EventPtr>(replay).subspan(first));
  outcome.recovered = true;
  outcome.replayed = replay.size() - first;
  return outcome;
}

}  // namespace armorclaw::eventbus
