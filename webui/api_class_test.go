package webui

import (
	"encoding/json"
	"net"
	"net/http"
	"testing"

	"github.com/mailscope/mailscope/servers"
	"github.com/mailscope/mailscope/servers/world"
	"github.com/mailscope/mailscope/tracer"
)

// newClassSheetWorld runs a real world with a class of n and its web server
// on addr.
func newClassSheetWorld(t *testing.T, opts Options, addr string, n int) (*servers.Instance, string) {
	t.Helper()
	inst, err := servers.Start(servers.Config{World: world.Default(), Bus: tracer.NewBus(), DataDir: t.TempDir(), Logger: quietLogger(),
		Class:  &servers.Class{Logins: world.NumberedLogins(n)},
		Listen: func(*world.Server, world.Protocol) (net.Listener, error) { return net.Listen("tcp", "127.0.0.1:0") }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { inst.Close() })
	opts.Logger = quietLogger()
	return inst, serveOn(t, New(inst, opts), addr)
}

// TestClassSheetAPI: GET /api/class gives the instructor the sheet (every
// password) only with the control token on a public page, or from
// loopback on a loopback-only one; without a class it is 404.
func TestClassSheetAPI(t *testing.T) {
	const token = "class-token"
	inst, base := newClassSheetWorld(t, Options{Token: token}, "0.0.0.0:0", 3)
	if code, _, body := request(t, nil, "GET", base+"/api/class", nil); code != http.StatusUnauthorized {
		t.Fatalf("GET /api/class without the token on a public page: HTTP %d %s", code, body)
	}
	if code, _, _ := request(t, nil, "GET", base+"/api/class", map[string]string{"Authorization": "Bearer wrong"}); code != http.StatusUnauthorized {
		t.Fatalf("GET /api/class with a wrong token: HTTP %d", code)
	}
	code, h, body := request(t, nil, "GET", base+"/api/class", map[string]string{"Authorization": "Bearer " + token})
	if code != 200 || h.Get("Cache-Control") != "no-store" {
		t.Fatalf("GET /api/class with the token: HTTP %d (Cache-Control %q) %s", code, h.Get("Cache-Control"), body)
	}
	var sheet classSheet
	if err := json.Unmarshal([]byte(body), &sheet); err != nil {
		t.Fatal(err)
	}
	if len(sheet.Students) != 3 || sheet.Students[2].Name != "s03" || sheet.Students[2].Password != inst.Students[2].Password ||
		len(sheet.Servers) != 2 || sheet.Servers[1].IMAP != inst.Addr("B", world.IMAP) || sheet.Limits.SessionsPerUser != world.DefaultClassSessionsPerUser {
		t.Errorf("sheet %+v", sheet)
	}

	_, local := newClassSheetWorld(t, Options{}, "127.0.0.1:0", 1)
	if code, _, body := request(t, nil, "GET", local+"/api/class", nil); code != 200 {
		t.Errorf("GET /api/class from loopback on a loopback-only page: HTTP %d %s", code, body)
	}
	_, _, plain := newWorld(t, Options{})
	if code, _, _ := request(t, nil, "GET", plain+"/api/class", nil); code != http.StatusNotFound {
		t.Errorf("GET /api/class without a class: HTTP %d, want 404", code)
	}
}
