// Subscriber ids are capabilities of a sort (unsubscribe takes one), so they are unguessable.
#ifndef ARMORCLAW_EVENTBUS_PLUGIN_SUBSCRIBER_ID_H_
#define ARMORCLAW_EVENTBUS_PLUGIN_SUBSCRIBER_ID_H_

#include <string>

namespace armorclaw::eventbus {

// "sub-" followed by 32 hex digits from the kernel's CSPRNG (getrandom), 128 bits.
std::string NewSubscriberId();

// 32 hex digits from the same source: names one unbroken history of sequence numbers (docs/design.md).
std::string NewEpoch();

}  // namespace armorclaw::eventbus

#endif  // ARMORCLAW_EVENTBUS_PLUGIN_SUBSCRIBER_ID_H_
