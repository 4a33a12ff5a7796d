// The console page's bytes: console.html, embedded by the build (embed_file.cmake writes the definition).
#ifndef ARMORCLAW_EVENTBUS_PLUGIN_CONSOLE_CONSOLE_HTML_H_
#define ARMORCLAW_EVENTBUS_PLUGIN_CONSOLE_CONSOLE_HTML_H_

#include <string_view>

namespace armorclaw::eventbus {

std::string_view ConsoleHtml();

}  // namespace armorclaw::eventbus

#endif  // ARMORCLAW_EVENTBUS_PLUGIN_CONSOLE_CONSOLE_HTML_H_
