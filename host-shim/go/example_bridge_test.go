package eventbus_test

// The code of docs/bridge-integration.md, compiled and vetted with the package. Each region between
// "// doc:begin NAME" and "// doc:end" appears verbatim in the doc (doc_test.go checks it). The two
// types below stand in for the bridge's own: its pkg/eventbus MatrixEvent (what its relay publishes)
// and its internal/events MatrixEvent (what its ring bus carries).

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"time"

	aceb "github.com/armorclaw/armorclaw-eventbus/host-shim/go"
)

// MatrixEvent has the bridge's published shape and JSON tags.
type MatrixEvent struct {
	Type    string                 `json:"type"`
	RoomID  string                 `json:"room_id"`
	Sender  string                 `json:"sender"`
	Content map[string]interface{} `json:"content"`
	EventID string                 `json:"event_id"`
}

// ringEvent has the fields of an event on the bridge's ring bus.
type ringEvent struct {
	ID, RoomID, Sender, Type string
	Content                  any
}

// doc:begin start
// startEventBus replaces eventbus.NewEventBus and eventBus.Start in main().
// eventbusTable is the [eventbus] table of the bridge's TOML file, decoded into a map.
func startEventBus(pluginPath string, eventbusTable map[string]any) (*aceb.Bus, error) {
	entries, err := aceb.EntriesFromTOML(eventbusTable)
	if err != nil {
		return nil, err
	}
	lib, err := aceb.Open(pluginPath)
	if err != nil {
		return nil, err // errors.Is(err, aceb.ErrUnavailable) in a CGO_ENABLED=0 build
	}
	bus, err := lib.Create(entries, func(level aceb.Level, message string) {
		log.Printf("eventbus %s: %s", level, message)
	})
	if err != nil {
		return nil, err // errors.Is(err, aceb.ErrConfig): the text names the key and the value
	}
	if err := bus.Start(); err != nil {
		bus.Close()
		return nil, err // errors.Is(err, aceb.ErrIO): the address could not be bound
	}
	return bus, nil
}

// doc:end

// doc:begin relay
// relay replaces the body of the "Matrix event bridge" goroutine: one event at a time, in the
// order the ring bus gave them, so the sequence numbers clients see follow that order.
func relay(ctx context.Context, bus *aceb.Bus, sub <-chan ringEvent) {
	for {
		select {
		case ev, ok := <-sub:
			if !ok {
				return
			}
			content, _ := ev.Content.(map[string]interface{})
			payload, err := json.Marshal(&MatrixEvent{
				Type:    ev.Type,
				RoomID:  ev.RoomID,
				Sender:  ev.Sender,
				Content: content,
				EventID: ev.ID,
			})
			if err != nil {
				log.Printf("eventbus: cannot marshal a %s event: %v", ev.Type, err)
				continue
			}
			publish(ctx, bus, payload)
		case <-ctx.Done():
			return
		}
	}
}

// publish never blocks in the plugin; only a full or lagging ingest queue (ErrBusy) makes it wait and retry.
func publish(ctx context.Context, bus *aceb.Bus, payload []byte) {
	pause := time.Millisecond
	for {
		err := bus.Publish(payload)
		switch {
		case err == nil:
			return
		case errors.Is(err, aceb.ErrBusy): // not taken: retry the same event, keeping the order
			select {
			case <-time.After(pause):
			case <-ctx.Done():
				return
			}
			if pause < 100*time.Millisecond {
				pause *= 2
			}
		case errors.Is(err, aceb.ErrBadState): // stopped (shutdown is under way) or closed
			return
		default: // aceb.ErrInvalid: the plugin says why; the event is dropped
			log.Printf("eventbus: event dropped: %v", err)
			return
		}
	}
}

// doc:end

// doc:begin rpc
// getStats answers eventbus.get_stats: the plugin's stats carry active_subscribers,
// max_subscribers and websocket_enabled, the fields the bridge's callers read.
func getStats(bus *aceb.Bus) (map[string]any, error) {
	return bus.Stats()
}

// publishTest answers eventbus.publish_test with params {"event": {...}}.
func publishTest(bus *aceb.Bus, params json.RawMessage) (map[string]any, error) {
	var p struct {
		Event json.RawMessage `json:"event"`
	}
	if err := json.Unmarshal(params, &p); err != nil || len(p.Event) == 0 {
		return nil, fmt.Errorf("params.event is required")
	}
	if err := bus.Publish(p.Event); err != nil {
		return nil, err
	}
	return map[string]any{"published": true}, nil
}

// doc:end

// doc:begin stop
// stopEventBus replaces eventBus.Stop() in the shutdown goroutine: clients get a close frame 1001
// and up to five seconds to complete it.
func stopEventBus(bus *aceb.Bus) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := bus.Stop(ctx); err != nil && !errors.Is(err, aceb.ErrBadState) {
		log.Printf("eventbus: stop: %v", err)
	}
}

// doc:end

// doc:begin reload
// reloadEventBus hands a reloaded [eventbus] table to the running bus. A refusal leaves the running
// configuration as it was.
func reloadEventBus(bus *aceb.Bus, entries []aceb.Entry) {
	switch err := bus.Reconfigure(entries); {
	case err == nil:
	case errors.Is(err, aceb.ErrConfig):
		log.Printf("eventbus: new configuration refused, the running one stays: %v", err)
	case errors.Is(err, aceb.ErrNotSupported):
		log.Printf("eventbus: this plugin (ABI 1.0) cannot reload; restart the bridge to apply it")
	default:
		log.Printf("eventbus: reconfigure: %v", err)
	}
}

// doc:end

func ExampleOpen() {
	table := map[string]any{"websocket_addr": "0.0.0.0:8444", "max_subscribers": int64(100)}
	bus, err := startEventBus("/usr/lib/armorclaw/armorclaw-eventbus.so", table)
	if err != nil {
		log.Fatal(err)
	}
	defer bus.Close()
	url, _ := bus.ListenURL()
	log.Printf("WebSocket endpoint: %s", url)
	stopEventBus(bus)
}

func ExampleBus_Publish() {
	bus, err := startEventBus("/usr/lib/armorclaw/armorclaw-eventbus.so", nil)
	if err != nil {
		log.Fatal(err)
	}
	defer bus.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ring := make(chan ringEvent, 100)
	go relay(ctx, bus, ring)
	ring <- ringEvent{Type: "workflow.started", RoomID: "!ops:example.org", Sender: "orchestrator"}
}

func ExampleBus_Stats() {
	bus, err := startEventBus("/usr/lib/armorclaw/armorclaw-eventbus.so", nil)
	if err != nil {
		log.Fatal(err)
	}
	defer bus.Close()
	if _, err := publishTest(bus, json.RawMessage(`{"event":{"type":"m.room.message","content":{}}}`)); err != nil {
		log.Print(err)
	}
	stats, _ := getStats(bus)
	log.Print(stats["active_subscribers"], stats["max_subscribers"], stats["websocket_enabled"])
}
