package eventbus

import (
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"time"
)

// Entry is one [eventbus] configuration entry as the plugin takes it: the key and its value as
// plain text (docs/configuration.md).
type Entry struct {
	Key   string
	Value string
}

// EntriesFromTOML turns the bridge's decoded [eventbus] table (as a TOML decoder gives it:
// map[string]any) into entries, sorted by key so that the same table always gives the same list.
//
// Scalars become text: booleans "true"/"false", integers in decimal, floats in their shortest
// form, strings as they are (durations such as "30m" stay as written; a time.Duration value is
// written the way Go prints it, "1m30s"). Arrays become JSON array text. Every key is passed,
// including the bridge's durable-log keys (enable_durable_log, durable_log_dir, max_log_file_size)
// and keys the plugin does not know: the plugin validates, warns about unknown keys through the log
// callback and ignores them. A nested table or a TOML date-time is an error naming the key.
func EntriesFromTOML(table map[string]any) ([]Entry, error) {
	keys := make([]string, 0, len(table))
	for key := range table {
		keys = append(keys, key)
	}
	sort.Strings(keys)
	entries := make([]Entry, 0, len(keys))
	for _, key := range keys {
		value, err := tomlValueText(table[key])
		if err != nil {
			return nil, fmt.Errorf("eventbus: [eventbus] %s: %w", key, err)
		}
		entries = append(entries, Entry{Key: key, Value: value})
	}
	return entries, nil
}

func tomlValueText(value any) (string, error) {
	switch v := value.(type) {
	case string:
		return v, nil
	case bool:
		return strconv.FormatBool(v), nil
	case time.Duration: // before the integers: a Duration is an int64 underneath
		return v.String(), nil
	case float32:
		return strconv.FormatFloat(float64(v), 'g', -1, 32), nil
	case float64:
		return strconv.FormatFloat(v, 'g', -1, 64), nil
	case nil:
		return "", fmt.Errorf("no value")
	}
	switch number := reflect.ValueOf(value); number.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.FormatInt(number.Int(), 10), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return strconv.FormatUint(number.Uint(), 10), nil
	case reflect.Slice, reflect.Array:
		text, err := json.Marshal(value)
		if err != nil {
			return "", err
		}
		return string(text), nil
	}
	return "", fmt.Errorf("a %T cannot be a plugin setting (expected a string, boolean, number or array)", value)
}
