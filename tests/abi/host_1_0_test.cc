// A host compiled against the released ABI 1.0 header (abi/baseline/eventbus-1.0.h, the very header of
// the abidiff baseline), driving today's plugin (ABI 1.1) through dlopen: it asks for 1.0, copies the
// part of the table it knows, and the whole lifecycle works. This file includes no other eventbus header,
// so every struct size here is 1.0's.
#include <dlfcn.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <string_view>

#include "abi/baseline/eventbus-1.0.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

aceb_string Str(std::string_view text) { return {text.data(), text.size()}; }

TEST(Abi10HostTest, Abi10HostRunsTheCurrentPlugin) {
  static_assert(ACEB_ABI_VERSION_MINOR == 0, "this host must be built against the 1.0 header");
  void* library = dlopen(ARMORCLAW_EVENTBUS_PLUGIN_PATH, RTLD_NOW | RTLD_LOCAL);
  ASSERT_NE(library, nullptr) << dlerror();
  const auto negotiate = reinterpret_cast<aceb_negotiate_fn>(dlsym(library, ACEB_ENTRY_SYMBOL));
  ASSERT_NE(negotiate, nullptr);
  const aceb_negotiation request{sizeof(aceb_negotiation), ACEB_ABI_VERSION_MAJOR, ACEB_ABI_VERSION_MINOR, 0};
  const aceb_api* table = nullptr;
  ASSERT_EQ(negotiate(&request, &table), ACEB_OK);
  ASSERT_NE(table, nullptr);
  // The plugin is newer: its table is longer than the one this host knows, and says so.
  EXPECT_GT(table->struct_size, sizeof(aceb_api));
  EXPECT_EQ(table->abi_major, 1u);
  EXPECT_GE(table->abi_minor, 1u);
  aceb_api api{};
  std::memcpy(&api, table, std::min<size_t>(table->struct_size, sizeof api));

  const aceb_host host{sizeof(aceb_host), 0, nullptr, nullptr};
  const aceb_config_entry entries[] = {{Str("websocket_addr"), Str("127.0.0.1:0")}};
  aceb_plugin* plugin = nullptr;
  char text[16384];
  aceb_buffer error{text, sizeof text, 0};
  ASSERT_EQ(api.create(&host, entries, 1, &plugin, &error), ACEB_OK) << std::string(text, error.size);
  ASSERT_EQ(api.start(plugin, &error), ACEB_OK) << std::string(text, error.size);
  aceb_buffer url{text, sizeof text, 0};
  ASSERT_EQ(api.listen_url(plugin, &url), ACEB_OK);
  EXPECT_THAT(std::string(text, url.size), StartsWith("ws://127.0.0.1:"));
  const std::string_view event = R"({"type":"m.room.message","room_id":"!r:x","sender":"@a:x","content":{}})";
  EXPECT_EQ(api.publish(plugin, event.data(), event.size(), &error), ACEB_OK);
  aceb_buffer stats{text, sizeof text, 0};
  ASSERT_EQ(api.stats(plugin, &stats), ACEB_OK);
  EXPECT_THAT(std::string(text, stats.size), HasSubstr("\"events_published\":1"));
  EXPECT_EQ(api.stop(plugin, 100), ACEB_OK);
  EXPECT_EQ(api.destroy(plugin), ACEB_OK);
  dlclose(library);
}

}  // namespace
