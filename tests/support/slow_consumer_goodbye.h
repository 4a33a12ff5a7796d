// What a client cut as a slow consumer reads after the cut, whatever its transport.
#ifndef ARMORCLAW_EVENTBUS_TESTS_SUPPORT_SLOW_CONSUMER_GOODBYE_H_
#define ARMORCLAW_EVENTBUS_TESTS_SUPPORT_SLOW_CONSUMER_GOODBYE_H_

#include <string>

#include "boost/json/parse.hpp"
#include "boost/system/system_error.hpp"
#include "gtest/gtest.h"

namespace armorclaw::eventbus::testing {

// Reads messages with `read()` (which throws boost::system::system_error when the connection ends) until
// the connection ends: behind what the kernel had buffered, the server's reason. Returns whether an
// error message came, and expects every error to be slow_consumer.
template <typename Read>
bool ReadUntilClosedSeeingSlowConsumerError(Read read) {
  bool saw_error = false;
  for (;;) {
    std::string text;
    try {
      text = read();
    } catch (const boost::system::system_error&) {
      return saw_error;
    }
    const boost::json::value message = boost::json::parse(text);
    if (message.at("type") == "error") {
      EXPECT_EQ(message.at("data").at("code"), "slow_consumer");
      saw_error = true;
    }
  }
}

}  // namespace armorclaw::eventbus::testing

#endif  // ARMORCLAW_EVENTBUS_TESTS_SUPPORT_SLOW_CONSUMER_GOODBYE_H_
