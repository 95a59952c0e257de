package servers

import (
	"context"
	"time"
)

// QueueEntry is one recipient of one message in a server's outgoing queue.
type QueueEntry struct {
	ID          int64     `json:"id"`       // the recipient's row
	QueueID     int64     `json:"queue_id"` // the message's row
	Server      string    `json:"server"`
	MsgID       string    `json:"msgid"` // the trace id that follows the message
	Sender      string    `json:"sender"`
	Rcpt        string    `json:"rcpt"`
	Domain      string    `json:"domain"`
	Status      string    `json:"status"` // queued, held, delivering, deferred
	Attempts    int       `json:"attempts"`
	NextAttempt time.Time `json:"next_attempt"`
	LastError   string    `json:"last_error,omitempty"`
	Created     time.Time `json:"created"`
	HoldUntil   time.Time `json:"hold_until,omitempty"`
	Size        int       `json:"size"`
}

// Fault is a switchable misbehaviour of a receiving server (the relay issue):
// "" none, "down" refuses connections, "greylist" answers 451 4.7.1 to a
// first attempt, "slow" delays replies, "quota" answers 452 4.2.2, "reject"
// answers 550 5.1.1 to recipients.
type Fault string

// The faults.
const (
	FaultNone     Fault = ""
	FaultDown     Fault = "down"
	FaultGreylist Fault = "greylist"
	FaultSlow     Fault = "slow"
	FaultQuota    Fault = "quota"
	FaultReject   Fault = "reject"
)

// Faults lists every fault a server can be switched to.
var Faults = []Fault{FaultDown, FaultGreylist, FaultSlow, FaultQuota, FaultReject}

// Queue lists every server's outgoing queue, oldest first.
func (inst *Instance) Queue(ctx context.Context) ([]QueueEntry, error) {
	return inst.queueEntries(ctx)
}

// Flush starts delivery now of queued mail for domain ("" for every domain)
// and returns how many recipients it woke. Held (FUTURERELEASE) mail stays
// held.
func (inst *Instance) Flush(ctx context.Context, domain string) (int, error) {
	return inst.flush(ctx, domain)
}

// SetFault switches a server's fault ("" clears it).
func (inst *Instance) SetFault(server string, f Fault) error {
	return inst.setFault(server, f)
}

// FaultOf returns a server's current fault.
func (inst *Instance) FaultOf(server string) Fault {
	return inst.faultOf(server)
}
