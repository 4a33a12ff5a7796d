#include "plugin/history/durable_log.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <limits>
#include <mutex>
#include <stdexcept>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/string_view_compat.h"
#include "common/unique_fd.h"
#include "plugin/history/log_record.h"
#include "plugin/history/segment_reader.h"
#include "plugin/subscriber_id.h"

namespace armorclaw::eventbus {
namespace {

constexpr absl::string_view kEpochFile = "epoch";
constexpr absl::string_view kEpochTempFile = "epoch.tmp";

struct Segment {
  uint64_t first_offset = 0;
  uint64_t bytes = 0;
};

std::string SegmentName(uint64_t first_offset) { return absl::StrFormat("%016u.log", first_offset); }

// "DIGITS.log" as the bridge's reader accepts it, spelled as SegmentName spells it (so that "01.log" and
// "0000000000000001.log" cannot both be segment 1); anything else in the directory is not ours to read.
bool ParseSegmentName(std::string_view name, uint64_t& first_offset) {
  if (name.size() <= 4 || !name.ends_with(".log")) return false;
  const std::string_view digits = name.substr(0, name.size() - 4);
  if (!std::all_of(digits.begin(), digits.end(), absl::ascii_isdigit)) return false;
  return absl::SimpleAtoi(ToAbsl(digits), &first_offset) && SegmentName(first_offset) == name;
}

absl::Status FileError(absl::string_view path, absl::string_view action, int error = errno) {
  return absl::ErrnoToStatus(error, absl::StrCat("durable log \"", path, "\": ", action));
}

// A status from a helper that knows no file name, with the name put in front.
absl::Status NameFile(absl::string_view path, const absl::Status& status) {
  return absl::Status(status.code(), absl::StrCat("durable log \"", path, "\": ", status.message()));
}

absl::Status WriteAll(int fd, std::string_view bytes, absl::string_view path) {
  while (!bytes.empty()) {
    const ssize_t wrote = ::write(fd, bytes.data(), bytes.size());
    if (wrote < 0 && errno == EINTR) continue;
    if (wrote < 0) return FileError(path, "cannot write");
    bytes.remove_prefix(static_cast<size_t>(wrote));
  }
  return absl::OkStatus();
}

absl::Status SyncFile(int fd, absl::string_view path) {
  if (::fsync(fd) != 0) return FileError(path, "cannot fsync");
  return absl::OkStatus();
}

absl::StatusOr<std::vector<Segment>> ListSegments(const std::string& dir) {
  DIR* listing = ::opendir(dir.c_str());
  if (listing == nullptr) return FileError(dir, "cannot list");
  std::vector<Segment> segments;
  while (const dirent* entry = ::readdir(listing)) {
    Segment segment;
    if (ParseSegmentName(entry->d_name, segment.first_offset)) segments.push_back(segment);
  }
  ::closedir(listing);
  std::sort(segments.begin(), segments.end(),
            [](const Segment& a, const Segment& b) { return a.first_offset < b.first_offset; });
  for (Segment& segment : segments) {
    const std::string path = absl::StrCat(dir, "/", SegmentName(segment.first_offset));
    struct stat status;
    if (::stat(path.c_str(), &status) != 0) return FileError(path, "cannot stat");
    segment.bytes = static_cast<uint64_t>(status.st_size);
  }
  return segments;
}

// The epoch file's content, or "" when it is missing or not an epoch we could have written.
std::string ReadEpoch(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return "";
  char text[128];
  size_t filled = 0;
  while (filled < sizeof(text)) {
    const ssize_t got = ::read(fd.get(), text + filled, sizeof(text) - filled);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;
    filled += static_cast<size_t>(got);
  }
  const absl::string_view epoch = absl::StripAsciiWhitespace(absl::string_view(text, filled));
  if (epoch.empty() || epoch.size() > 64 || !std::all_of(epoch.begin(), epoch.end(), absl::ascii_isxdigit)) {
    return "";
  }
  return std::string(epoch);
}

}  // namespace

struct DurableLog::State {
  DurableLogOptions options;
  UniqueFd dir_fd;
  std::string epoch;
  LogRecovery recovery;

  // The segment list is the writer's; Read takes a copy of the offsets under the mutex.
  mutable std::mutex mutex;
  std::vector<Segment> segments;
  std::atomic<uint64_t> first_offset{0};
  std::atomic<uint64_t> last_offset{0};
  std::atomic<uint64_t> bytes{0};
  std::atomic<size_t> segment_count{0};

  UniqueFd active_fd;           // The last segment, open for appending (none before the first record).
  bool directory_dirty = false;  // A segment was created or deleted since the directory's last fsync.
  absl::Status broken;           // The first write failure; every later Append returns it.
  std::string buffer;            // Reused by Append.

  std::string PathOf(absl::string_view name) const { return absl::StrCat(options.dir, "/", name); }
  std::string SegmentPath(uint64_t first_offset) const { return PathOf(SegmentName(first_offset)); }

  void PublishCounters() {  // Under `mutex`.
    first_offset.store(segments.empty() ? 0 : segments.front().first_offset, std::memory_order_release);
    uint64_t total = 0;
    for (const Segment& segment : segments) total += segment.bytes;
    bytes.store(total, std::memory_order_release);
    segment_count.store(segments.size(), std::memory_order_release);
  }

  absl::Status Recover();
  absl::Status LoadOrDrawEpoch(bool had_segments);
  absl::Status WriteEpoch();
  absl::Status StartSegment(uint64_t first_offset);
  absl::Status WriteToActive(std::string_view bytes);
  absl::Status ApplyRetention();
  absl::Status RemoveEpoch();
  absl::Status Break(absl::Status error);
};

absl::Status DurableLog::State::Recover() {
  Segment& last = segments.back();
  const std::string path = SegmentPath(last.first_offset);
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_APPEND | O_CLOEXEC));
  if (!fd.valid()) return FileError(path, "cannot open");
  SegmentReader reader(fd.get(), last.bytes);
  uint64_t next_offset = last.first_offset;
  uint64_t good_end = 0;
  while (!reader.AtEnd()) {
    absl::StatusOr<LogFrame> frame = reader.Next();
    if (!frame.ok()) return NameFile(path, frame.status());
    if (frame->outcome != LogFrame::Outcome::kComplete) break;
    absl::StatusOr<LogRecord> record = ParseLogRecordJson(frame->json);
    if (!record.ok() || record->offset != next_offset) break;
    ++next_offset;
    good_end = reader.position();
  }
  if (good_end < last.bytes) {
    // The epoch goes before the records do: a crash between the cut and the new epoch's write must not
    // leave the old epoch naming a history that lost its tail.
    if (absl::Status removed = RemoveEpoch(); !removed.ok()) return removed;
    recovery.truncated_bytes = last.bytes - good_end;
    last.bytes = good_end;
    if (::ftruncate(fd.get(), static_cast<off_t>(good_end)) != 0) return FileError(path, "cannot truncate");
    if (absl::Status synced = SyncFile(fd.get(), path); !synced.ok()) return synced;
  }
  // With offset 0 as a segment's name (the bridge's numbering) nothing precedes it: the next is 1.
  last_offset.store(next_offset > 0 ? next_offset - 1 : 0, std::memory_order_release);
  if (last.bytes == 0) {
    // An empty last segment (a crash right after a rotation, or all cut): the next record starts its own.
    if (::unlink(path.c_str()) != 0) return FileError(path, "cannot delete");
    segments.pop_back();
    directory_dirty = true;
    return absl::OkStatus();
  }
  active_fd = std::move(fd);
  return absl::OkStatus();
}

absl::Status DurableLog::State::WriteEpoch() {
  // A new name and a rename, so a crash leaves the old epoch or the new one, never half of one.
  const std::string temp_path = PathOf(kEpochTempFile);
  UniqueFd fd(::open(temp_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640));
  if (!fd.valid()) return FileError(temp_path, "cannot create");
  if (absl::Status wrote = WriteAll(fd.get(), absl::StrCat(epoch, "\n"), temp_path); !wrote.ok()) return wrote;
  if (absl::Status synced = SyncFile(fd.get(), temp_path); !synced.ok()) return synced;
  const std::string path = PathOf(kEpochFile);
  if (::rename(temp_path.c_str(), path.c_str()) != 0) return FileError(path, "cannot rename into place");
  return SyncFile(dir_fd.get(), options.dir);
}

absl::Status DurableLog::State::LoadOrDrawEpoch(bool had_segments) {
  epoch = ReadEpoch(PathOf(kEpochFile));
  // Kept only when nothing can have been lost: see the top of durable_log.h.
  if (had_segments && !epoch.empty() && recovery.truncated_bytes == 0) return absl::OkStatus();
  try {
    epoch = NewEpoch();
  } catch (const std::runtime_error& error) {
    return absl::InternalError(absl::StrCat("durable log: cannot draw an epoch: ", error.what()));
  }
  recovery.epoch_changed = true;
  return WriteEpoch();
}

absl::Status DurableLog::State::StartSegment(uint64_t first) {
  const std::string path = SegmentPath(first);
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0640));
  if (!fd.valid()) return FileError(path, "cannot create");
  active_fd = std::move(fd);
  directory_dirty = true;
  std::lock_guard lock(mutex);
  segments.push_back(Segment{first, 0});
  PublishCounters();
  return absl::OkStatus();
}

absl::Status DurableLog::State::WriteToActive(std::string_view bytes) {
  if (bytes.empty()) return absl::OkStatus();
  const uint64_t first = segments.back().first_offset;  // Only this thread changes the list.
  if (absl::Status wrote = WriteAll(active_fd.get(), bytes, SegmentPath(first)); !wrote.ok()) return wrote;
  std::lock_guard lock(mutex);
  segments.back().bytes += bytes.size();
  PublishCounters();
  return absl::OkStatus();
}

absl::Status DurableLog::State::ApplyRetention() {
  if (options.retention_bytes == 0) return absl::OkStatus();
  while (segments.size() > 1 && bytes.load(std::memory_order_relaxed) > options.retention_bytes) {
    const std::string path = SegmentPath(segments.front().first_offset);
    {
      // Off the list first: a Read starting now gets NotFound from the list, not from a missing file.
      std::lock_guard lock(mutex);
      segments.erase(segments.begin());
      PublishCounters();
    }
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) return FileError(path, "cannot delete");
    directory_dirty = true;
  }
  return absl::OkStatus();
}

absl::Status DurableLog::State::RemoveEpoch() {
  const std::string path = PathOf(kEpochFile);
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) return FileError(path, "cannot delete");
  return SyncFile(dir_fd.get(), options.dir);
}

absl::Status DurableLog::State::Break(absl::Status error) {
  // The segments may now lack records clients were sent (or will be): without the epoch file the next
  // Open draws a new epoch, so no client resumes across the hole. If even that fails, the error reported
  // is still the first one.
  RemoveEpoch().IgnoreError();
  broken = error;
  return error;
}

DurableLog::DurableLog(std::unique_ptr<State> state) : state_(std::move(state)) {}
DurableLog::~DurableLog() = default;

absl::StatusOr<std::unique_ptr<DurableLog>> DurableLog::Open(const DurableLogOptions& options) {
  auto state = std::make_unique<State>();
  state->options = options;
  const std::string& dir = options.dir;
  if (::mkdir(dir.c_str(), 0750) != 0 && errno != EEXIST) {
    return absl::ErrnoToStatus(errno, absl::StrCat("durable_log_dir \"", dir, "\": cannot create"));
  }
  state->dir_fd = UniqueFd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!state->dir_fd.valid()) {
    return absl::ErrnoToStatus(errno, absl::StrCat("durable_log_dir \"", dir, "\": cannot open"));
  }
  absl::StatusOr<std::vector<Segment>> segments = ListSegments(dir);
  if (!segments.ok()) return segments.status();
  state->segments = *std::move(segments);
  const bool had_segments = !state->segments.empty();
  if (had_segments) {
    if (absl::Status recovered = state->Recover(); !recovered.ok()) return recovered;
  }
  if (absl::Status epoch = state->LoadOrDrawEpoch(had_segments); !epoch.ok()) return epoch;
  {
    std::lock_guard lock(state->mutex);
    state->PublishCounters();
  }
  if (absl::Status retained = state->ApplyRetention(); !retained.ok()) return retained;
  if (state->directory_dirty) {
    if (absl::Status synced = SyncFile(state->dir_fd.get(), dir); !synced.ok()) return synced;
    state->directory_dirty = false;
  }
  return std::unique_ptr<DurableLog>(new DurableLog(std::move(state)));
}

const std::string& DurableLog::epoch() const { return state_->epoch; }
const LogRecovery& DurableLog::recovery() const { return state_->recovery; }
uint64_t DurableLog::first_offset() const { return state_->first_offset.load(std::memory_order_acquire); }
uint64_t DurableLog::last_offset() const { return state_->last_offset.load(std::memory_order_acquire); }
uint64_t DurableLog::bytes() const { return state_->bytes.load(std::memory_order_acquire); }
size_t DurableLog::segments() const { return state_->segment_count.load(std::memory_order_acquire); }

absl::Status DurableLog::Append(std::span<const LogRecordView> records) {
  State& state = *state_;
  if (!state.broken.ok()) return state.broken;
  uint64_t expected = state.last_offset.load(std::memory_order_relaxed) + 1;
  for (const LogRecordView& record : records) {
    // The frame's length field is 32 bits; the prefix around type and payload stays well under 1 KiB
    // unless the type is huge, which the check counts too (escaping at most sextuples a byte).
    if (record.payload.size() + 6 * record.type.size() + 1024 > std::numeric_limits<uint32_t>::max()) {
      return absl::InvalidArgumentError(absl::StrCat("durable log: record ", record.offset, " is too large (",
                                                      record.payload.size(), " bytes of payload)"));
    }
    if (record.offset != expected++) {
      return absl::InvalidArgumentError(absl::StrCat("durable log: record offset ", record.offset, " where ",
                                                      expected - 1, " was due"));
    }
  }
  // The records bound for one segment go to the kernel in one write.
  std::string& buffer = state.buffer;
  buffer.clear();
  absl::Status status;
  for (const LogRecordView& record : records) {
    const size_t before = buffer.size();
    EncodeLogRecord(record, buffer);
    const uint64_t in_segment = state.active_fd.valid() ? state.segments.back().bytes + before : 0;
    if (!state.active_fd.valid() ||
        (in_segment > 0 && in_segment + (buffer.size() - before) > state.options.max_segment_bytes)) {
      status = state.WriteToActive(std::string_view(buffer).substr(0, before));
      if (status.ok()) status = state.StartSegment(record.offset);
      if (!status.ok()) return state.Break(std::move(status));
      buffer.erase(0, before);
    }
  }
  status = state.WriteToActive(buffer);
  if (!status.ok()) return state.Break(std::move(status));
  state.last_offset.store(records.empty() ? expected - 1 : records.back().offset, std::memory_order_release);
  status = state.ApplyRetention();
  if (!status.ok()) return state.Break(std::move(status));
  return absl::OkStatus();
}

absl::Status DurableLog::Sync() {
  State& state = *state_;
  if (!state.broken.ok()) return state.broken;
  if (state.active_fd.valid() && ::fdatasync(state.active_fd.get()) != 0) {
    return state.Break(FileError(state.SegmentPath(state.segments.back().first_offset), "cannot fdatasync"));
  }
  if (state.directory_dirty) {
    if (absl::Status synced = SyncFile(state.dir_fd.get(), state.options.dir); !synced.ok()) {
      return state.Break(synced);
    }
    state.directory_dirty = false;
  }
  return absl::OkStatus();
}

absl::Status DurableLog::Read(uint64_t from, uint64_t to, const std::function<bool(LogRecord&&)>& visit) const {
  const State& state = *state_;
  std::vector<uint64_t> firsts;
  {
    std::lock_guard lock(state.mutex);
    // Records up to last_offset are complete in the listed segments: the list is read under the lock the
    // writer takes to add a segment before it writes to it.
    to = std::min(to, state.last_offset.load(std::memory_order_acquire));
    firsts.reserve(state.segments.size());
    for (const Segment& segment : state.segments) firsts.push_back(segment.first_offset);
  }
  if (from > to) return absl::OkStatus();
  if (firsts.empty() || from < firsts.front()) {
    return absl::NotFoundError(absl::StrCat("durable log \"", state.options.dir, "\": offset ", from,
                                            " is no longer held (oldest ", firsts.empty() ? 0 : firsts.front(),
                                            ")"));
  }
  size_t index = static_cast<size_t>(std::upper_bound(firsts.begin(), firsts.end(), from) - firsts.begin()) - 1;
  uint64_t next_offset = firsts[index];
  for (; index < firsts.size() && next_offset <= to; ++index) {
    const std::string path = state.SegmentPath(firsts[index]);
    if (firsts[index] != next_offset) {
      return absl::DataLossError(absl::StrCat("durable log \"", path, "\": starts at offset ", firsts[index],
                                              " where ", next_offset, " was due"));
    }
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd.valid()) return FileError(path, errno == ENOENT ? "deleted (retention) while read" : "cannot open");
    struct stat status;
    if (::fstat(fd.get(), &status) != 0) return FileError(path, "cannot stat");
    SegmentReader reader(fd.get(), static_cast<uint64_t>(status.st_size));
    while (next_offset <= to && !reader.AtEnd()) {
      const uint64_t at = reader.position();
      absl::StatusOr<LogFrame> frame = reader.Next();
      if (!frame.ok()) return NameFile(path, frame.status());
      if (frame->outcome != LogFrame::Outcome::kComplete) {
        return absl::DataLossError(absl::StrCat(
            "durable log \"", path, "\": record at byte ", at, " is ",
            frame->outcome == LogFrame::Outcome::kTorn ? "cut short" : frame->problem));
      }
      if (next_offset < from) {  // Before the range: its CRC was checked, its JSON need not be parsed.
        ++next_offset;
        continue;
      }
      absl::StatusOr<LogRecord> record = ParseLogRecordJson(frame->json);
      if (!record.ok()) {
        return NameFile(path, absl::DataLossError(absl::StrCat("record at byte ", at, ": ", record.status().message())));
      }
      if (record->offset != next_offset) {
        return absl::DataLossError(absl::StrCat("durable log \"", path, "\": record at byte ", at, " has offset ",
                                                record->offset, " where ", next_offset, " was due"));
      }
      ++next_offset;
      if (!visit(*std::move(record))) return absl::OkStatus();
    }
  }
  if (next_offset <= to) {
    return absl::DataLossError(absl::StrCat("durable log \"", state.options.dir, "\": ends at offset ",
                                            next_offset - 1, " where ", to, " was held"));
  }
  return absl::OkStatus();
}

}  // namespace armorclaw::eventbus
