package servers

import "strconv"

func itoa(n int) string { return strconv.Itoa(n) }

// startExtras starts what runs beside the listeners (the relay queue worker).
func (inst *Instance) startExtras() error { return nil }

// queueChanged wakes the queue worker after new mail was queued.
func (inst *Instance) queueChanged() {}
