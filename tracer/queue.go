package tracer

import "slices"

// The steps of the outgoing queue: the AttrStep attribute of a KindQueue
// event. The servers emit them where the queue changes; lessons match them
// (a lesson's `queue: deferred`). They are untyped so that they stand in an
// Attrs map as they are.
const (
	StepQueued         = "queued"          // accepted for remote recipients; waits in the sender's queue
	StepHeld           = "held"            // FUTURERELEASE: held until a time (RFC 4865)
	StepReleased       = "released"        // a held message's time has come
	StepAttempt        = "attempt"         // a delivery attempt opens an SMTP session to the next hop
	StepDeferred       = "deferred"        // the attempt failed for now (4xx, no answer); another follows
	StepDelivered      = "delivered"       // the next hop accepted the message; it leaves the queue
	StepDeliveredLocal = "delivered-local" // filed in a local user's mailbox
	StepBounced        = "bounced"         // failed for good; a DSN goes to the sender (RFC 3464)
	StepFlush          = "flush"           // ETRN (RFC 1985) or the control API made the queue run now
	StepRecovered      = "recovered"       // after a restart, an interrupted delivery was sorted out
	StepDSN            = "dsn"             // DSN parameters passed on or dropped, or a notice other than a bounce sent (RFC 3461)
	StepRetryNow       = "retry-now"       // an operator made a recipient's next attempt due now
	StepBounceNow      = "bounce-now"      // an operator gave up on a recipient: it bounces now
)

// queueSteps lists every step, in the order a message meets them.
var queueSteps = []string{StepQueued, StepHeld, StepReleased, StepAttempt, StepDeferred, StepDelivered,
	StepDeliveredLocal, StepBounced, StepFlush, StepRecovered, StepDSN, StepRetryNow, StepBounceNow}

// QueueSteps returns every step a queue event may name.
func QueueSteps() []string { return slices.Clone(queueSteps) }

// IsQueueStep reports whether s is a step a queue event may name.
func IsQueueStep(s string) bool { return slices.Contains(queueSteps, s) }

// Attribute keys (Event.Attrs) that the servers emit and lessons match.
const (
	AttrStep        = "step"         // queue events: which step (StepQueued, ...)
	AttrRcpt        = "rcpt"         // queue events: the one recipient the step is about
	AttrAction      = "action"       // dsn: the notice's action, RFC 3464 section 2.3.3 (delayed, delivered, relayed)
	AttrRcpts       = "rcpts"        // queued, held: the remote recipients, comma-separated
	AttrQueueID     = "queue_id"     // queued, held: the server's queue id
	AttrUser        = "user"         // delivered-local, POP3 notes: the mailbox owner
	AttrMailbox     = "mailbox"      // delivered-local: the folder, INBOX
	AttrUID         = "uid"          // delivered-local: the message's IMAP UID
	AttrAttempt     = "attempt"      // attempt, deferred: which attempt (1, 2, ...)
	AttrNextAttempt = "next_attempt" // held, deferred: when the next attempt is due (RFC 3339)
	AttrTo          = "to"           // attempt: the server the session goes to
	AttrError       = "error"        // deferred, bounced: why
	AttrDomain      = "domain"       // flush, lookup: the domain
	AttrFault       = "fault"        // fault events: the switch's new position
	AttrMode        = "mode"         // POP3 notes: download-and-delete or download-and-keep
	AttrCommand     = "command"      // POP3 data events: the command whose answer this is (RETR, TOP)
)

// AttrDiag names the mistake a diagnostic event points at ("no-blank-line",
// "backspace", "no-tag", ...): lessons and tests match it, readers get the
// event's text and explanation.
const AttrDiag = "diag"
