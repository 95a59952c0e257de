package wiretest

import (
	"os"
	"os/exec"
	"testing"
)

// Tool returns the path of a third-party client program (curl, swaks,
// python3, fetchmail, ...) for a real-client test. Where the machine lacks
// it the test is skipped, saying which Debian package has it; under CI,
// where .ci/run installs every client, a missing one fails the test.
func Tool(t testing.TB, name, pkg string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s (Debian package %s) is required in CI, where .ci/run installs it: %v", name, pkg, err)
		}
		t.Skipf("%s is not installed here (apt-get install %s); this real-client test is required when CI is set", name, pkg)
	}
	return p
}
