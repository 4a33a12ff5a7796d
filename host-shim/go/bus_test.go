//go:build cgo

package eventbus

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// The environment the go_binding CTest test sets: the real plugin, the Python with websockets, and
// the bridge-shaped corpus.
const (
	pluginEnv = "ARMORCLAW_EVENTBUS_PLUGIN"
	pythonEnv = "EVENTBUS_TEST_PYTHON"
)

// How long any awaited thing (a log line, a client's message) may take on a loaded machine.
const awaitTimeout = 30 * time.Second

var (
	libraryOnce sync.Once
	library     *Library
	libraryErr  error
)

func openLibrary(t *testing.T) *Library {
	t.Helper()
	path := os.Getenv(pluginEnv)
	if path == "" {
		t.Fatalf("%s is not set: point it at armorclaw-eventbus.so (ctest sets it)", pluginEnv)
	}
	libraryOnce.Do(func() { library, libraryErr = Open(path) })
	if libraryErr != nil {
		t.Fatal(libraryErr)
	}
	return library
}

// logLines collects the plugin's log lines and lets a test await one.
type logLines struct {
	mu      sync.Mutex
	lines   []string
	changed chan struct{}
}

func newLogLines() *logLines { return &logLines{changed: make(chan struct{}, 1)} }

func (l *logLines) log(level Level, message string) {
	l.mu.Lock()
	l.lines = append(l.lines, level.String()+" "+message)
	l.mu.Unlock()
	select {
	case l.changed <- struct{}{}:
	default:
	}
}

// await returns the first line containing text, failing the test after awaitTimeout.
func (l *logLines) await(t *testing.T, text string) string {
	t.Helper()
	deadline := time.After(awaitTimeout)
	for {
		l.mu.Lock()
		for _, line := range l.lines {
			if strings.Contains(line, text) {
				l.mu.Unlock()
				return line
			}
		}
		seen := append([]string(nil), l.lines...)
		l.mu.Unlock()
		select {
		case <-l.changed:
		case <-deadline:
			t.Fatalf("no log line containing %q; lines: %q", text, seen)
		}
	}
}

func createBus(t *testing.T, log LogFunc, entries ...Entry) *Bus {
	t.Helper()
	base := []Entry{{"websocket_addr", "127.0.0.1:0"}, {"ping_interval", "0s"}}
	bus, err := openLibrary(t).Create(append(base, entries...), log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = bus.Close() })
	return bus
}

func TestOpenNamesAFileThatDoesNotLoad(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "no-such-plugin.so")
	if _, err := Open(missing); err == nil || !strings.Contains(err.Error(), missing) {
		t.Errorf("Open(%s) = %v, want an error naming the path", missing, err)
	}
}

func TestCreateRefusesABadValueWithATypedErrorNamingTheKey(t *testing.T) {
	_, err := openLibrary(t).Create([]Entry{{"max_subscribers", "lots"}}, nil)
	if !errors.Is(err, ErrConfig) || errors.Is(err, ErrInvalid) {
		t.Fatalf("err = %v, want one matching ErrConfig only", err)
	}
	var refused *Error
	if !errors.As(err, &refused) || refused.Op != "create" || refused.Status != StatusConfigError {
		t.Fatalf("err = %#v, want an *Error from create with ACEB_CONFIG_ERROR", err)
	}
	if !strings.Contains(refused.Message, `invalid value "lots" for max_subscribers`) {
		t.Errorf("message %q does not name the key and the value", refused.Message)
	}
}

func TestPublishRefusalsCarryThePluginsReason(t *testing.T) {
	bus := createBus(t, nil)
	if err := bus.Publish([]byte(`{"type":"m.room.message","content":{}}`)); !errors.Is(err, ErrBadState) {
		t.Errorf("publish before start = %v, want ErrBadState", err)
	}
	if err := bus.Start(); err != nil {
		t.Fatal(err)
	}
	err := bus.Publish([]byte("not json"))
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "not valid JSON") {
		t.Errorf("publish of non-JSON = %v, want ErrInvalid saying not valid JSON", err)
	}
	if err := bus.Publish(nil); !errors.Is(err, ErrInvalid) {
		t.Errorf("publish of nothing = %v, want ErrInvalid", err)
	}
	if err := bus.Start(); !errors.Is(err, ErrBadState) {
		t.Errorf("second start = %v, want ErrBadState", err)
	}
}

// subscriber is testdata/subscriber.py, a Python websockets client, and its output lines.
type subscriber struct {
	cmd    *exec.Cmd
	lines  chan string
	stderr bytes.Buffer
}

func startSubscriber(t *testing.T, url string, count int) *subscriber {
	t.Helper()
	python := os.Getenv(pythonEnv)
	if python == "" {
		python = "/usr/bin/python3"
	}
	s := &subscriber{lines: make(chan string, count+2)}
	s.cmd = exec.Command(python, filepath.Join("testdata", "subscriber.py"), url, fmt.Sprint(count),
		fmt.Sprint(awaitTimeout.Seconds()))
	s.cmd.Stderr = &s.stderr
	stdout, err := s.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("%s: %v (Debian: apt-get install python3-websockets)", python, err)
	}
	t.Cleanup(func() { _ = s.cmd.Process.Kill(); _ = s.cmd.Wait() })
	go func() {
		scanner := bufio.NewScanner(stdout)
		scanner.Buffer(make([]byte, 1<<20), 1<<20)
		for scanner.Scan() {
			s.lines <- scanner.Text()
		}
		_, _ = io.Copy(io.Discard, stdout)
		close(s.lines)
	}()
	return s
}

func (s *subscriber) next(t *testing.T, what string) string {
	t.Helper()
	select {
	case line, ok := <-s.lines:
		if !ok {
			_ = s.cmd.Wait()
			t.Fatalf("the subscriber ended before %s: %s", what, s.stderr.String())
		}
		return line
	case <-time.After(awaitTimeout):
		t.Fatalf("no %s from the subscriber within %v", what, awaitTimeout)
	}
	return ""
}

func readCorpus(t *testing.T) [][]byte {
	t.Helper()
	text, err := os.ReadFile(filepath.Join("..", "..", "tests", "data", "bridge-events.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	var events [][]byte
	for _, line := range bytes.Split(bytes.TrimSpace(text), []byte("\n")) {
		events = append(events, line)
	}
	return events
}

// canonical is a JSON value re-encoded with sorted keys, to compare what was published with what a
// client received whatever the spacing and member order.
func canonical(t *testing.T, text []byte) string {
	t.Helper()
	var value any
	if err := json.Unmarshal(text, &value); err != nil {
		t.Fatalf("%v: %s", err, text)
	}
	out, err := json.Marshal(value)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

func statNumber(t *testing.T, stats map[string]any, name string) string {
	t.Helper()
	value, ok := stats[name].(json.Number)
	if !ok {
		t.Fatalf("stats[%q] = %#v, want a number; stats: %v", name, stats[name], stats)
	}
	return value.String()
}

// The bridge's whole life with the bus: its events published from several goroutines reach a real
// client complete and numbered without a gap; stats answer its get_stats; stop, close.
func TestBridgeEventsReachAPythonSubscriberInSequence(t *testing.T) {
	const publishers, rounds = 4, 3
	logs := newLogLines()
	// Delivery and order are under test, so events go out as published: the corpus holds an e-mail
	// address and a phone number, which scrubbing would replace.
	bus := createBus(t, logs.log, Entry{"pii_scrubbing", "false"})
	if err := bus.Start(); err != nil {
		t.Fatal(err)
	}
	url, err := bus.ListenURL()
	if err != nil {
		t.Fatal(err)
	}
	if line := logs.await(t, "listening on "); !strings.HasSuffix(line, "listening on "+url) {
		t.Errorf("log line %q does not give the listen URL %s", line, url)
	}

	corpus := readCorpus(t)
	total := len(corpus) * rounds
	client := startSubscriber(t, url, total)
	if line := client.next(t, "the subscribe reply"); line != "subscribed" {
		t.Fatalf("subscriber said %q, want subscribed", line)
	}
	stats, err := bus.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if a, s := statNumber(t, stats, "active_subscribers"), statNumber(t, stats, "subscriptions_active"); a != "1" || s != "1" {
		t.Errorf("active_subscribers %s, subscriptions_active %s; want 1 and 1", a, s)
	}
	if got := statNumber(t, stats, "max_subscribers"); got != "100" {
		t.Errorf("max_subscribers = %s, want the default 100", got)
	}
	if got := stats["websocket_enabled"]; got != true {
		t.Errorf("websocket_enabled = %#v, want true", got)
	}

	// Each goroutine publishes its share of every round; ErrBusy means "not taken, try again".
	var published sync.WaitGroup
	failures := make(chan error, publishers)
	for p := 0; p < publishers; p++ {
		published.Add(1)
		go func(p int) {
			defer published.Done()
			for i := p; i < total; i += publishers {
				event := corpus[i%len(corpus)]
				for {
					err := bus.Publish(event)
					if err == nil {
						break
					}
					if !errors.Is(err, ErrBusy) {
						failures <- fmt.Errorf("publish %s: %w", event, err)
						return
					}
					time.Sleep(time.Millisecond)
				}
			}
		}(p)
	}
	published.Wait()
	close(failures)
	for err := range failures {
		t.Fatal(err)
	}

	want := map[string]int{}
	for i := 0; i < total; i++ {
		want[canonical(t, corpus[i%len(corpus)])]++
	}
	got := map[string]int{}
	for sequence := 1; sequence <= total; sequence++ {
		line := client.next(t, fmt.Sprintf("event %d of %d", sequence, total))
		var data struct {
			Event    json.RawMessage `json:"event"`
			Sequence int             `json:"sequence"`
		}
		if err := json.Unmarshal([]byte(strings.TrimPrefix(line, "event ")), &data); err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		if data.Sequence != sequence {
			t.Fatalf("message %d has sequence %d: sequences must rise by one", sequence, data.Sequence)
		}
		got[canonical(t, data.Event)]++
	}
	if len(got) != len(want) {
		t.Errorf("%d distinct events received, %d published", len(got), len(want))
	}
	for event, count := range want {
		if got[event] != count {
			t.Errorf("event published %d times, received %d times: %s", count, got[event], event)
		}
	}

	stats, err = bus.Stats()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"events_published", "last_sequence", "deliveries"} {
		if got := statNumber(t, stats, name); got != fmt.Sprint(total) {
			t.Errorf("%s = %s, want %d", name, got, total)
		}
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := bus.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if line := client.next(t, "the close"); line != "closed 1001" {
		t.Errorf("after stop the subscriber saw %q, want closed 1001", line)
	}
	logs.await(t, "stopped")
	if err := bus.Publish(corpus[0]); !errors.Is(err, ErrBadState) || errors.Is(err, ErrClosed) {
		t.Errorf("publish after stop = %v, want ErrBadState (not ErrClosed)", err)
	}
	if err := bus.Stop(ctx); !errors.Is(err, ErrBadState) {
		t.Errorf("second stop = %v, want ErrBadState", err)
	}
	if _, err := bus.ListenURL(); !errors.Is(err, ErrBadState) {
		t.Errorf("listen URL after stop = %v, want ErrBadState", err)
	}

	if err := bus.Close(); err != nil {
		t.Fatal(err)
	}
	if err := bus.Close(); err != nil {
		t.Errorf("second close = %v, want nil", err)
	}
	if err := bus.Publish(corpus[0]); !errors.Is(err, ErrClosed) || !errors.Is(err, ErrBadState) {
		t.Errorf("publish after close = %v, want ErrClosed (a bad state)", err)
	}
	if _, err := bus.Stats(); !errors.Is(err, ErrClosed) {
		t.Errorf("stats after close = %v, want ErrClosed", err)
	}
	if err := client.cmd.Wait(); err != nil {
		t.Errorf("subscriber: %v: %s", err, client.stderr.String())
	}
}

// Close may come while other goroutines publish and read stats: each call either completes or
// returns ErrClosed, and the race detector (go_binding_race) sees no race.
func TestCloseWhilePublishingIsSafe(t *testing.T) {
	bus := createBus(t, newLogLines().log, Entry{"websocket_enabled", "false"})
	if err := bus.Start(); err != nil {
		t.Fatal(err)
	}
	event := []byte(`{"type":"agent.status","room_id":"","sender":"orchestrator","content":null,"event_id":""}`)
	var workers, running sync.WaitGroup
	unexpected := make(chan error, 8)
	for w := 0; w < 4; w++ {
		workers.Add(1)
		running.Add(1)
		go func(w int) {
			defer workers.Done()
			signalled := false
			signal := func() { // Close waits until every worker is under way
				if !signalled {
					signalled = true
					running.Done()
				}
			}
			defer signal()
			for calls := 0; ; calls++ {
				if calls == 10 {
					signal()
				}
				var err error
				if w%2 == 0 {
					err = bus.Publish(event)
				} else {
					_, err = bus.StatsJSON()
				}
				switch {
				case errors.Is(err, ErrClosed):
					return
				case err != nil && !errors.Is(err, ErrBusy):
					unexpected <- err
					return
				}
			}
		}(w)
	}
	running.Wait()
	if err := bus.Close(); err != nil {
		t.Fatal(err)
	}
	workers.Wait()
	close(unexpected)
	for err := range unexpected {
		t.Error(err)
	}
}

func TestReconfigureAppliesLiveKeysAndRefusesRestartKeys(t *testing.T) {
	lines := newLogLines()
	bus := createBus(t, lines.log)
	if err := bus.Start(); err != nil {
		t.Fatal(err)
	}
	base := []Entry{{"websocket_addr", "127.0.0.1:0"}, {"ping_interval", "0s"}}
	if err := bus.Reconfigure(append(base, Entry{"max_subscribers", "7"})); err != nil {
		t.Fatalf("Reconfigure(max_subscribers = 7) = %v", err)
	}
	lines.await(t, "configuration reloaded")
	stats, err := bus.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(stats["max_subscribers"]) != "7" {
		t.Errorf("max_subscribers in the stats = %v after the reconfiguration, want 7", stats["max_subscribers"])
	}
	err = bus.Reconfigure(append(base, Entry{"websocket_path", "/elsewhere"}, Entry{"max_subscribers", "9"}))
	var refused *Error
	if !errors.Is(err, ErrConfig) || !errors.As(err, &refused) || refused.Op != "reconfigure" ||
		!strings.Contains(refused.Message, "websocket_path cannot change without a restart") {
		t.Fatalf("Reconfigure(websocket_path) = %v, want ErrConfig from reconfigure naming websocket_path", err)
	}
	if errors.Is(err, ErrNotSupported) {
		t.Errorf("a refused configuration matches ErrNotSupported: %v", err)
	}
	if stats, _ := bus.Stats(); fmt.Sprint(stats["max_subscribers"]) != "7" {
		t.Errorf("max_subscribers = %v after a refused reconfiguration, want 7 still", stats["max_subscribers"])
	}
	if err := bus.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := bus.Reconfigure(base); !errors.Is(err, ErrBadState) {
		t.Errorf("Reconfigure after Stop = %v, want ErrBadState", err)
	}
}
