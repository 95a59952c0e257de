//go:build unix

package relay

import (
	"context"
	"net"
	"syscall"
	"time"
)

// dialFrom dials addr after binding the socket to a port chosen by the
// kernel, and calls bound with that port before connecting: the relay tells
// the tracer which port its connection comes from before the receiving
// server can accept it.
func dialFrom(ctx context.Context, addr string, bound func(port int)) (net.Conn, error) {
	d := net.Dialer{
		Timeout: 10 * time.Second,
		ControlContext: func(ctx context.Context, network, address string, c syscall.RawConn) error {
			var err error
			cerr := c.Control(func(fd uintptr) {
				var sa syscall.Sockaddr = &syscall.SockaddrInet4{}
				if network == "tcp6" {
					sa = &syscall.SockaddrInet6{}
				}
				if err = syscall.Bind(int(fd), sa); err != nil {
					return
				}
				var got syscall.Sockaddr
				if got, err = syscall.Getsockname(int(fd)); err != nil {
					return
				}
				switch a := got.(type) {
				case *syscall.SockaddrInet4:
					bound(a.Port)
				case *syscall.SockaddrInet6:
					bound(a.Port)
				}
			})
			if cerr != nil {
				return cerr
			}
			return err
		},
	}
	return d.DialContext(ctx, "tcp", addr)
}
