//go:build !unix

package relay

import (
	"context"
	"net"
	"time"
)

// dialFrom dials addr; on this system the port is not known before the
// connection, so relay sessions are traced without their hop label.
func dialFrom(ctx context.Context, addr string, bound func(port int)) (net.Conn, error) {
	d := net.Dialer{Timeout: 10 * time.Second}
	return d.DialContext(ctx, "tcp", addr)
}
