// A published Matrix event as every receiver shares it: immutable once the ingest queue has numbered it.
#ifndef ARMORCLAW_EVENTBUS_PLUGIN_EVENT_H_
#define ARMORCLAW_EVENTBUS_PLUGIN_EVENT_H_

#include <cstdint>
#include <memory>
#include <string>

namespace armorclaw::eventbus {

struct Event {
  // What filters look at; empty when the event has no such field.
  std::string type;
  std::string room_id;
  std::string sender;
  uint64_t sequence = 0;
  // The complete server->client "event" message, serialized once; every receiver writes these bytes.
  std::string frame;
};

using EventPtr = std::shared_ptr<const Event>;

}  // namespace armorclaw::eventbus

#endif  // ARMORCLAW_EVENTBUS_PLUGIN_EVENT_H_
