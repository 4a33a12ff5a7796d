package eventbus

import (
	"context"
	"math"
	"time"
)

// DefaultStopGrace is the grace period Stop gives clients when its context has no deadline.
const DefaultStopGrace = 5 * time.Second

// graceMillis is the stop call's grace_ms for ctx: the time left before its deadline, none once it
// is done, DefaultStopGrace without a deadline.
func graceMillis(ctx context.Context) uint32 {
	if ctx.Err() != nil {
		return 0
	}
	grace := DefaultStopGrace
	if deadline, ok := ctx.Deadline(); ok {
		grace = time.Until(deadline)
	}
	switch {
	case grace <= 0:
		return 0
	case grace.Milliseconds() > math.MaxUint32:
		return math.MaxUint32
	}
	return uint32(grace.Milliseconds())
}
