package eventbus

import (
	"context"
	"testing"
	"time"
)

func TestStopGraceIsTheTimeLeftBeforeTheDeadline(t *testing.T) {
	if got := graceMillis(context.Background()); got != uint32(DefaultStopGrace.Milliseconds()) {
		t.Errorf("no deadline: %d ms, want %d", got, DefaultStopGrace.Milliseconds())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if got := graceMillis(ctx); got > 2000 || got < 1000 {
		t.Errorf("2 s deadline: %d ms", got)
	}
	cancel()
	if got := graceMillis(ctx); got != 0 {
		t.Errorf("cancelled context: %d ms, want 0", got)
	}
	far, cancelFar := context.WithTimeout(context.Background(), 100*24*time.Hour)
	defer cancelFar()
	if got := graceMillis(far); got != ^uint32(0) {
		t.Errorf("100-day deadline: %d ms, want the largest grace_ms", got)
	}
}
