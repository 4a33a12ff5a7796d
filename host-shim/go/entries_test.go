package eventbus

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

// The [eventbus] table as a TOML decoder hands the bridge its keys (integers are int64).
func TestEntriesFromTOMLGivesTheBridgesKeysAsTextInKeyOrder(t *testing.T) {
	table := map[string]any{
		"websocket_enabled":  true,
		"websocket_addr":     "0.0.0.0:8444",
		"websocket_path":     "/events",
		"max_subscribers":    int64(100),
		"inactivity_timeout": "30m",
		"enable_durable_log": false,
		"durable_log_dir":    "/var/lib/armorclaw/events",
		"max_log_file_size":  int64(67108864),
		"allowed_origins":    []any{"https://dash.example.org", "https://ops.example.org"},
		"ping_interval":      90 * time.Second,
		"ratio":              2.5,
	}
	got, err := EntriesFromTOML(table)
	if err != nil {
		t.Fatal(err)
	}
	want := []Entry{
		{"allowed_origins", `["https://dash.example.org","https://ops.example.org"]`},
		{"durable_log_dir", "/var/lib/armorclaw/events"},
		{"enable_durable_log", "false"},
		{"inactivity_timeout", "30m"},
		{"max_log_file_size", "67108864"},
		{"max_subscribers", "100"},
		{"ping_interval", "1m30s"},
		{"ratio", "2.5"},
		{"websocket_addr", "0.0.0.0:8444"},
		{"websocket_enabled", "true"},
		{"websocket_path", "/events"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("EntriesFromTOML:\n got %q\nwant %q", got, want)
	}
}

func TestEntriesFromTOMLRefusesANestedTableNamingTheKey(t *testing.T) {
	_, err := EntriesFromTOML(map[string]any{"tls": map[string]any{"cert": "x"}})
	if err == nil || !strings.Contains(err.Error(), "[eventbus] tls") {
		t.Errorf("nested table: err = %v, want one naming [eventbus] tls", err)
	}
}
