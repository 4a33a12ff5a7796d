#include "host-shim/demo_events.h"

#include <array>
#include <iterator>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace armorclaw::host {
namespace {

constexpr std::array<std::string_view, 8> kBodies = {
    "Deploy of the bridge finished",
    "Has anyone seen the latency graph?",
    "Lunch at noon?",
    "The event bus is live on :8444",
    "Rolling back the last change",
    "PR #42 is ready for review",
    "Coffee machine is fixed \u2615",
    "Meeting moved to 3pm",
};
constexpr std::array<std::string_view, 4> kEmotes = {
    "waves", "is reviewing the logs", "thinks this is an example emote", "goes for coffee"};
constexpr std::array<std::string_view, 4> kReactionKeys = {"\U0001F44D", "\U0001F389",
                                                           "\u2764\uFE0F", "\U0001F440"};
constexpr std::array<std::string_view, 3> kTopics = {
    "Release planning", "Incidents and on-call handover", "Anything goes"};
constexpr std::array<std::string_view, 3> kNames = {"Lobby", "Operations", "Random"};
constexpr std::array<std::string_view, 3> kDisplayNames = {"Alice", "Bob", "Carol"};

// Only for the fixed texts above, which need no escaping beyond quotes and backslashes; a JSON
// writer would be overkill.
std::string Quote(std::string_view text) {
  std::string quoted = "\"";
  for (const char c : text) {
    if (c == '"' || c == '\\') quoted += '\\';
    quoted += c;
  }
  quoted += '"';
  return quoted;
}

template <typename T, size_t N>
size_t Pick(std::mt19937_64& random, const std::array<T, N>&) {
  return std::uniform_int_distribution<size_t>(0, N - 1)(random);
}

enum class Kind { kText, kEmote, kMember, kReaction, kTopic, kName };

// Mostly chat, as in a real room; state changes are rare.
Kind PickKind(std::mt19937_64& random) {
  const int roll = std::uniform_int_distribution<int>(0, 99)(random);
  if (roll < 50) return Kind::kText;
  if (roll < 58) return Kind::kEmote;
  if (roll < 73) return Kind::kReaction;
  if (roll < 88) return Kind::kMember;
  if (roll < 94) return Kind::kTopic;
  return Kind::kName;
}

}  // namespace

DemoEventGenerator::DemoEventGenerator(uint64_t seed) : random_(seed), run_id_(random_()) {}

std::string DemoEventGenerator::NewEventId() {
  return absl::StrFormat("$demo%016x%08x:example.org", run_id_, ++count_);
}

std::string DemoEventGenerator::Next(absl::Time now) {
  const size_t room_index =
      std::uniform_int_distribution<size_t>(0, std::size(kRooms) - 1)(random_);
  const size_t sender_index =
      std::uniform_int_distribution<size_t>(0, std::size(kSenders) - 1)(random_);
  const std::string room = kRooms[room_index];
  const std::string sender = kSenders[sender_index];
  Kind kind = PickKind(random_);
  if (kind == Kind::kReaction && !last_message_.contains(room)) kind = Kind::kText;

  const std::string event_id = NewEventId();
  std::string type;
  std::string content;
  std::string state_key;  // Empty for message events; set (possibly to "") for state events.
  bool is_state = false;
  switch (kind) {
    case Kind::kText:
      type = "m.room.message";
      content = absl::StrCat(R"({"msgtype":"m.text","body":)",
                             Quote(kBodies[Pick(random_, kBodies)]), "}");
      last_message_[room] = event_id;
      break;
    case Kind::kEmote:
      type = "m.room.message";
      content = absl::StrCat(R"({"msgtype":"m.emote","body":)",
                             Quote(kEmotes[Pick(random_, kEmotes)]), "}");
      last_message_[room] = event_id;
      break;
    case Kind::kReaction:
      type = "m.reaction";
      content = absl::StrCat(R"({"m.relates_to":{"rel_type":"m.annotation","event_id":)",
                             Quote(last_message_[room]), R"(,"key":)",
                             Quote(kReactionKeys[Pick(random_, kReactionKeys)]), "}}");
      break;
    case Kind::kMember: {
      type = "m.room.member";
      is_state = true;
      state_key = sender;
      bool& joined = joined_[{room, sender}];
      joined = !joined;
      content = joined ? absl::StrCat(R"({"membership":"join","displayname":)",
                                      Quote(kDisplayNames[sender_index]), "}")
                       : std::string(R"({"membership":"leave"})");
      break;
    }
    case Kind::kTopic:
      type = "m.room.topic";
      is_state = true;
      content = absl::StrCat(R"({"topic":)", Quote(kTopics[Pick(random_, kTopics)]), "}");
      break;
    case Kind::kName:
      type = "m.room.name";
      is_state = true;
      content = absl::StrCat(R"({"name":)", Quote(kNames[room_index]), "}");
      break;
  }
  return absl::StrCat(R"({"type":)", Quote(type), R"(,"room_id":)", Quote(room), R"(,"sender":)",
                      Quote(sender), R"(,"event_id":)", Quote(event_id), R"(,"origin_server_ts":)",
                      absl::ToUnixMillis(now),
                      is_state ? absl::StrCat(R"(,"state_key":)", Quote(state_key)) : "",
                      R"(,"content":)", content, "}");
}

}  // namespace armorclaw::host
