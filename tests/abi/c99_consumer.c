/* A host written in plain C99 against armorclaw/eventbus.h: loads the real plugin with dlopen and
 * drives it through the function table. Usage: abi_c99_consumer PATH_TO_PLUGIN_SO */
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#include "armorclaw/eventbus.h"

static int failures = 0;

#define CHECK(condition)                                                  \
  do {                                                                    \
    if (!(condition)) {                                                   \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #condition); \
      ++failures;                                                         \
    }                                                                     \
  } while (0)

static aceb_string str(const char* text) {
  aceb_string s;
  s.data = text;
  s.size = strlen(text);
  return s;
}

int main(int argc, char** argv) {
  void* library;
  aceb_negotiate_fn negotiate;
  aceb_negotiation request;
  const aceb_api* api = NULL;
  aceb_host host;
  aceb_config_entry entries[2];
  aceb_plugin* plugin = NULL;
  char text[512];
  aceb_buffer error;
  const char* event = "{\"type\":\"m.room.message\",\"room_id\":\"!r:x\",\"sender\":\"@a:x\",\"content\":{}}";

  if (argc != 2) {
    fprintf(stderr, "usage: %s PLUGIN_SO\n", argv[0]);
    return 2;
  }
  library = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
  if (library == NULL) {
    fprintf(stderr, "dlopen: %s\n", dlerror());
    return 1;
  }
  /* ISO C forbids converting void* to a function pointer; copying the bytes is the portable idiom. */
  {
    void* symbol = dlsym(library, ACEB_ENTRY_SYMBOL);
    CHECK(symbol != NULL);
    if (symbol == NULL) return 1;
    memcpy(&negotiate, &symbol, sizeof negotiate);
  }

  memset(&request, 0, sizeof request);
  request.struct_size = sizeof request;
  request.abi_major = ACEB_ABI_VERSION_MAJOR + 1;
  CHECK(negotiate(&request, &api) == ACEB_VERSION_MISMATCH);
  CHECK(api == NULL);
  request.abi_major = ACEB_ABI_VERSION_MAJOR;
  request.abi_minor = ACEB_ABI_VERSION_MINOR + 7; /* A newer minor is fine. */
  CHECK(negotiate(&request, &api) == ACEB_OK);
  CHECK(api != NULL);
  if (api == NULL) return 1;
  CHECK(api->abi_major == ACEB_ABI_VERSION_MAJOR);
  CHECK(api->struct_size >= sizeof(aceb_api));

  memset(&host, 0, sizeof host);
  host.struct_size = sizeof host;
  error.data = text;
  error.capacity = sizeof text;
  error.size = 0;

  entries[0].key = str("websocket_addr");
  entries[0].value = str("127.0.0.1:0");
  entries[1].key = str("max_subscribers");
  entries[1].value = str("lots");
  CHECK(api->create(&host, entries, 2, &plugin, &error) == ACEB_CONFIG_ERROR);
  CHECK(plugin == NULL);
  CHECK(error.size > 0 && error.size <= error.capacity);
  CHECK(strstr(text, "max_subscribers") != NULL);

  CHECK(api->create(&host, entries, 1, &plugin, &error) == ACEB_OK);
  CHECK(plugin != NULL);
  if (plugin == NULL) return 1;
  CHECK(api->publish(plugin, event, strlen(event), NULL) == ACEB_BAD_STATE);
  CHECK(api->start(plugin, &error) == ACEB_OK);
  error.size = 0;
  CHECK(api->listen_url(plugin, &error) == ACEB_OK);
  CHECK(error.size > 5 && memcmp(text, "ws://", 5) == 0);
  CHECK(api->publish(plugin, event, strlen(event), NULL) == ACEB_OK);
  CHECK(api->publish(plugin, "{", 1, &error) == ACEB_INVALID);
  CHECK(api->stop(plugin, 1000) == ACEB_OK);
  CHECK(api->publish(plugin, event, strlen(event), NULL) == ACEB_BAD_STATE);
  CHECK(api->destroy(plugin) == ACEB_OK);

  dlclose(library);
  if (failures == 0) printf("c99 consumer: all checks passed\n");
  return failures == 0 ? 0 : 1;
}
