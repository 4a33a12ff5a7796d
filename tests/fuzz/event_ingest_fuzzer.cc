// Any bytes the host can publish: ingest (with PII scrubbing) accepts a Matrix event or refuses it with a
// reason, and an accepted event always yields a frame that is valid JSON.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "boost/json/parse.hpp"
#include "plugin/event_ingest.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const armorclaw::eventbus::Scrubber scrubber = *armorclaw::eventbus::Scrubber::Create();
  const std::string_view json(reinterpret_cast<const char*>(data), size);
  auto event = armorclaw::eventbus::PrepareEvent(json, 65536, absl::UnixEpoch(), &scrubber);
  if (!event.ok()) return 0;
  armorclaw::eventbus::SealEvent(**event, 1);
  boost::system::error_code error;
  boost::json::parse((*event)->message(), error);
  if (error) std::abort();  // An accepted event must serialize to valid JSON.
  return 0;
}
