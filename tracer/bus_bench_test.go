package tracer

import (
	"testing"
)

// BenchmarkPublish publishes into a bus whose history is full, as it is
// after the first few thousand events of any busy session: each event
// pushes the oldest out. One subscriber keeps up.
func BenchmarkPublish(b *testing.B) {
	bus := NewBus()
	sub := bus.Subscribe(1 << 16)
	defer sub.Close()
	go func() {
		for range sub.C() {
		}
	}()
	text := "250 2.1.5 Recipient <alice@a.example> OK: local mailbox of alice"
	for range DefaultHistory {
		bus.Publish(&Event{Kind: KindLine, Session: "A-smtp-1", Server: "A", Proto: "smtp", Dir: S2C, Text: text})
	}
	b.ResetTimer()
	for b.Loop() {
		bus.Publish(&Event{Kind: KindLine, Session: "A-smtp-1", Server: "A", Proto: "smtp", Dir: S2C, Text: text})
	}
}
