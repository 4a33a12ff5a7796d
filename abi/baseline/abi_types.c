/* Uses every type of the eventbus header, so that `abidw` describes them all: it describes what the
 * exported functions of a shared object reach. Compiled with `-include HEADER` (abi/abi_check.sh), once
 * against the released header of the baseline and once against the current one. */
void aceb_abi_types(aceb_api* api, aceb_negotiation* negotiation, aceb_host* host, aceb_config_entry* entry,
                    aceb_buffer* buffer, aceb_string* string, aceb_negotiate_fn negotiate, aceb_log_fn log);

void aceb_abi_types(aceb_api* api, aceb_negotiation* negotiation, aceb_host* host, aceb_config_entry* entry,
                    aceb_buffer* buffer, aceb_string* string, aceb_negotiate_fn negotiate, aceb_log_fn log) {
  (void)api;
  (void)negotiation;
  (void)host;
  (void)entry;
  (void)buffer;
  (void)string;
  (void)negotiate;
  (void)log;
}
