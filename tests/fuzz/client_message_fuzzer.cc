// Any bytes a client can send in a text frame: parsing must answer every one with a request or an error,
// never crash, hang or recurse without bound. Filters are parsed on the way (subscribe).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "plugin/protocol.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view frame(reinterpret_cast<const char*>(data), size);
  const armorclaw::eventbus::ClientMessage message = armorclaw::eventbus::ParseClientMessage(frame);
  if (const auto* error = std::get_if<armorclaw::eventbus::ProtocolError>(&message)) {
    (void)armorclaw::eventbus::ErrorMessage(error->code, error->message);
  }
  return 0;
}
