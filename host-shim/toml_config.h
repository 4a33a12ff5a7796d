#ifndef ARMORCLAW_HOST_SHIM_TOML_CONFIG_H_
#define ARMORCLAW_HOST_SHIM_TOML_CONFIG_H_

// The `[eventbus]` table of a bridge config.toml, flattened into the key/value text the plugin
// takes: strings as-is, booleans "true"/"false", integers in decimal, floats in their shortest
// exact form (always with a "." or exponent), dates and times in TOML form, arrays as compact JSON
// array text, and sub-tables as dotted keys ("tls.cert_file"), which is how the plugin's
// property tree addresses nested values.

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "host-shim/config_entries.h"

namespace armorclaw::host {

// Reads the file at `path`. NotFoundError and the like name the file; a syntax error is an
// InvalidArgumentError "path:line:column: what". No [eventbus] table gives no entries.
absl::StatusOr<ConfigEntries> LoadEventbusTable(const std::string& path);

// The same for TOML text already in memory; `source_name` stands in for the path in errors.
absl::StatusOr<ConfigEntries> ParseEventbusTable(std::string_view toml_text,
                                                 std::string_view source_name);

}  // namespace armorclaw::host

#endif  // ARMORCLAW_HOST_SHIM_TOML_CONFIG_H_
