#include "plugin/protocol.h"

#include "absl/strings/str_cat.h"
#include "boost/json/parse.hpp"
#include "boost/json/serialize.hpp"
#include "boost/json/value.hpp"

namespace armorclaw::eventbus {
namespace {

ProtocolError InvalidMessage(std::string message) {
  return ProtocolError{error_code::kInvalidMessage, std::move(message)};
}

ProtocolError InvalidFilter(std::string message) {
  return ProtocolError{error_code::kInvalidFilter, std::move(message)};
}

// data.since: {"sequence": N, "epoch": "E"}, both required and nothing else, so that a client cannot
// resume past the epoch check by leaving the epoch out or empty.
std::variant<StreamPosition, ProtocolError> ParseSince(const boost::json::value& since) {
  const boost::json::object* fields = since.if_object();
  if (fields == nullptr) {
    return InvalidFilter(R"(since must be an object {"sequence": N, "epoch": "E"} from a "subscribed" reply)");
  }
  for (const auto& field : *fields) {
    if (field.key() != "sequence" && field.key() != "epoch") {
      return InvalidFilter(absl::StrCat("since has an unknown field \"", std::string(field.key()),
                                        "\" (expected sequence and epoch)"));
    }
  }
  StreamPosition position;
  const boost::json::value* sequence = fields->if_contains("sequence");
  if (sequence != nullptr && sequence->is_uint64()) {
    position.sequence = sequence->get_uint64();
  } else if (sequence != nullptr && sequence->is_int64() && sequence->get_int64() >= 0) {
    position.sequence = static_cast<uint64_t>(sequence->get_int64());
  } else {
    return InvalidFilter("since.sequence must be a non-negative integer (the last sequence received)");
  }
  const boost::json::value* epoch = fields->if_contains("epoch");
  if (epoch == nullptr || !epoch->is_string() || epoch->get_string().empty()) {
    return InvalidFilter(R"(since.epoch must be a non-empty string (the epoch of a "subscribed" reply))");
  }
  position.epoch = std::string(epoch->get_string());
  return position;
}

ClientMessage ParseSubscribe(const boost::json::object* data) {
  const boost::json::value* filter = data == nullptr ? nullptr : data->if_contains("filter");
  auto parsed = ParseFilter(filter);
  if (!parsed.ok()) return InvalidFilter(std::string(parsed.status().message()));
  SubscribeRequest request{*std::move(parsed), std::nullopt};
  if (const boost::json::value* since = data == nullptr ? nullptr : data->if_contains("since")) {
    auto position = ParseSince(*since);
    if (auto* error = std::get_if<ProtocolError>(&position)) return std::move(*error);
    request.since = std::get<StreamPosition>(std::move(position));
  }
  if (const boost::json::value* positions = data == nullptr ? nullptr : data->if_contains("positions")) {
    if (!positions->is_bool()) return InvalidMessage("data.positions must be true or false");
    request.positions = positions->get_bool();
  }
  return request;
}

ClientMessage ParseUnsubscribe(const boost::json::object* data) {
  const boost::json::value* id = data == nullptr ? nullptr : data->if_contains("subscriber_id");
  if (id == nullptr || !id->is_string() || id->get_string().empty()) {
    return InvalidMessage("unsubscribe needs data.subscriber_id, the id from \"subscribed\"");
  }
  return UnsubscribeRequest{std::string(id->get_string())};
}

std::string Serialize(std::string_view type, boost::json::object data) {
  boost::json::object message;
  message["type"] = type;
  message["data"] = std::move(data);
  return boost::json::serialize(message);
}

}  // namespace

ClientMessage ParseClientMessage(std::string_view frame) {
  boost::system::error_code error;
  boost::json::parse_options options;
  options.max_depth = 16;
  const boost::json::value value = boost::json::parse(frame, error, {}, options);
  if (error) return InvalidMessage(absl::StrCat("message is not valid JSON: ", error.message()));
  const boost::json::object* message = value.if_object();
  if (message == nullptr) return InvalidMessage("message must be a JSON object");
  const boost::json::value* type = message->if_contains("type");
  if (type == nullptr || !type->is_string()) return InvalidMessage("message needs a string \"type\"");

  const boost::json::value* data_value = message->if_contains("data");
  const boost::json::object* data = nullptr;
  if (data_value != nullptr && !data_value->is_null()) {
    data = data_value->if_object();
    if (data == nullptr) return InvalidMessage("\"data\" must be a JSON object");
  }
  const boost::json::string& name = type->get_string();
  if (name == "subscribe") return ParseSubscribe(data);
  if (name == "unsubscribe") return ParseUnsubscribe(data);
  if (name == "ping") return PingRequest{};
  return InvalidMessage("unknown message type (expected subscribe, unsubscribe or ping)");
}

std::string SubscribedMessage(std::string_view subscriber_id, const StreamPosition& position,
                              const std::optional<ResumeOutcome>& resume) {
  boost::json::object data = {{"subscriber_id", subscriber_id},
                              {"message", "Subscribed successfully"},
                              {"epoch", position.epoch},
                              {"sequence", position.sequence}};
  if (resume) {
    data["recovered"] = resume->recovered;
    data["replayed"] = resume->replayed;
    data["earliest"] = resume->earliest;
    if (!resume->recovered) data["reason"] = resume->reason;
  }
  return Serialize("subscribed", std::move(data));
}

std::string UnsubscribedMessage() {
  return Serialize("unsubscribed", {{"message", "Unsubscribed successfully"}});
}

std::string PongMessage() { return R"({"type":"pong"})"; }

std::string PositionMessage(uint64_t sequence) {
  return Serialize("position", {{"sequence", sequence}});
}

std::string SlowConsumerMessage(std::optional<uint64_t> last_written) {
  boost::json::object data = {
      {"code", error_code::kSlowConsumer},
      {"message", "too many events waiting to be sent to this connection (max_queue_bytes)"}};
  if (last_written) data["sequence"] = *last_written;
  return Serialize("error", std::move(data));
}

std::string ErrorMessage(std::string_view code, std::string_view message, std::optional<int64_t> retry_after_ms) {
  boost::json::object data = {{"code", code}, {"message", message}};
  if (retry_after_ms) data["retry_after_ms"] = *retry_after_ms;
  return Serialize("error", std::move(data));
}

}  // namespace armorclaw::eventbus
