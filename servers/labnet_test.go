package servers

import (
	"fmt"
	"net"
	"net/netip"
	"testing"
)

// TestLabNetworks: a class trusts the private networks of this machine's
// interfaces (RFC 1918, RFC 4193), each once and not when already
// trusted, and never a public one or loopback.
func TestLabNetworks(t *testing.T) {
	ipnet := func(s string) net.Addr {
		ip, n, err := net.ParseCIDR(s)
		if err != nil {
			t.Fatal(err)
		}
		n.IP = ip
		return n
	}
	ifs := []net.Addr{ipnet("127.0.0.1/8"), ipnet("192.168.1.23/24"), ipnet("192.168.1.24/24"), ipnet("10.9.8.7/16"),
		ipnet("8.8.4.4/24"), ipnet("192.0.2.2/24"), ipnet("fd00::2/64"), ipnet("fe80::1/64"), ipnet("2001:db8::1/64")}
	trusted := []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("10.9.0.0/16")}
	got := fmt.Sprint(labNetworks(ifs, trusted))
	if want := "[192.168.1.0/24 fd00::/64]"; got != want {
		t.Errorf("labNetworks = %s, want %s", got, want)
	}
}
