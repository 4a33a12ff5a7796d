#include "plugin/history/resume.h"

#include <algorithm>
#include <span>
#include <utility>

#include "absl/strings/str_cat.h"
#include "plugin/event_ingest.h"
#include "plugin/history/redaction.h"

namespace armorclaw::eventbus {

ResumeOutcome PlanResume(const RetainedEvents& history, const StreamPosition& here, const StreamPosition& since,
                         const Filter& filter, size_t max_replay, std::vector<EventPtr>& replay,
                         const DurableLog* log, DiskReplay* disk) {
  ResumeOutcome outcome;
  const uint64_t in_memory = history.earliest(here.sequence);
  outcome.earliest = in_memory;
  if (log != nullptr && log->first_offset() != 0) outcome.earliest = std::min(outcome.earliest, log->first_offset());
  if (since.epoch != here.epoch) {
    outcome.reason = resume_reason::kEpochMismatch;
  } else if (since.sequence > here.sequence) {
    outcome.reason = resume_reason::kFuture;
  } else if (since.sequence + 1 < outcome.earliest) {
    outcome.reason = resume_reason::kTooOld;
  }
  if (!outcome.reason.empty()) return outcome;
  const size_t first = replay.size();
  // The one place a replayed event joins the replay, from disk or memory alike.
  ReplayRedactions redactions;
  const auto take = [&](EventPtr event) {
    redactions.Note(event);
    if (!filter.Matches(*event)) return true;
    if (replay.size() - first == max_replay) return false;
    replay.push_back(std::move(event));
    return true;
  };
  bool too_many = false;
  if (since.sequence + 1 < in_memory) {
    // Older than the memory holds: the log has the rest, up to the memory's first event.
    const uint64_t to = std::min(in_memory - 1, here.sequence);
    absl::Status status;  // The first record that cannot be replayed.
    uint64_t expected = since.sequence + 1;
    // The read stops at the first record that cannot be replayed or is one too many: what lies after it
    // is never read from disk.
    const absl::Status read = log->Read(since.sequence + 1, to, [&](LogRecord&& record) {
      if (record.offset != expected) {
        status = absl::DataLossError(absl::StrCat("the durable log skips from ", expected, " to ", record.offset));
        return false;
      }
      ++expected;
      auto event = EventFromLogRecord(record);
      if (!event.ok()) {
        status = absl::DataLossError(absl::StrCat("the durable log's record ", record.offset,
                                                  " is not an event: ", event.status().message()));
        return false;
      }
      too_many = !take(*std::move(event));
      return !too_many;
    });
    if (status.ok()) status = read;
    // Every record must come: retention may have deleted the oldest segment since first_offset was read.
    if (status.ok() && !too_many && expected != to + 1) {
      status = absl::DataLossError(absl::StrCat("the durable log no longer holds ", expected, " to ", to));
    }
    if (disk != nullptr) {
      disk->status = status;
      disk->events = status.ok() && !too_many ? replay.size() - first : 0;
    }
    if (!status.ok()) {
      replay.resize(first);
      outcome.reason = resume_reason::kTooOld;
      return outcome;
    }
  }
  if (!too_many) {
    for (const EventPtr& event : history.After(since.sequence)) {
      if (!take(event)) {
        too_many = true;
        break;
      }
    }
  }
  if (too_many) {
    replay.resize(first);
    if (disk != nullptr) disk->events = 0;
    outcome.reason = resume_reason::kTooMany;
    return outcome;
  }
  // The one place a replay is assembled: wherever its events were read from, it never carries content the
  // room has redacted.
  redactions.Apply(std::span<EventPtr>(replay).subspan(first));
  outcome.recovered = true;
  outcome.replayed = replay.size() - first;
  return outcome;
}

}  // namespace armorclaw::eventbus
