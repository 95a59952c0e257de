package webui

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// A class's sign-ins outlive a restart of mailscope: a lab's server
// restarted in the middle of a lesson must not send thirty students back
// to the sign-in form. They are kept in the data directory
// (signinsFile, mode 0600), each under the SHA-256 of its cookie value,
// so that the file gives nobody a cookie to use; the table in memory is
// keyed the same way.

// signinsFile is the sign-ins' file in the data directory.
const signinsFile = "class-signins.json"

// idKey is what a cookie value is kept under.
func idKey(id string) string {
	h := sha256.Sum256([]byte(id))
	return hex.EncodeToString(h[:])
}

// storedSignin is one sign-in in the file.
type storedSignin struct {
	User string    `json:"user"`
	IP   string    `json:"ip"`
	At   time.Time `json:"at"`
}

// keepIn makes si keep its sign-ins in dir, and loads those kept there
// that have not expired; it returns them.
func (si *signins) keepIn(dir string) ([]*student, error) {
	si.mu.Lock()
	defer si.mu.Unlock()
	si.path = filepath.Join(dir, signinsFile)
	b, err := os.ReadFile(si.path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var kept map[string]storedSignin
	if err := json.Unmarshal(b, &kept); err != nil {
		return nil, err
	}
	var out []*student
	for k, v := range kept {
		if len(k) != 64 || time.Since(v.At) > signinMaxAge || len(si.ids) >= maxSignins {
			continue
		}
		st := &student{user: v.User, ip: v.IP, at: v.At}
		si.ids[k] = st
		out = append(out, st)
	}
	si.ever = si.ever || len(out) > 0
	return out, nil
}

// saveLocked writes the sign-ins to the file, if si keeps them: to a
// temporary file, then renamed over the old one. A failure costs only
// the sign-ins' surviving a restart.
func (si *signins) saveLocked() {
	if si.path == "" {
		return
	}
	kept := make(map[string]storedSignin, len(si.ids))
	for k, st := range si.ids {
		kept[k] = storedSignin{User: st.user, IP: st.ip, At: st.at}
	}
	b, err := json.Marshal(kept)
	if err != nil {
		return
	}
	writeFileAtomic(si.path, b)
}

// writeFileAtomic writes data to path, mode 0600: to a temporary file in
// its directory, then renamed over the old one, so that a reader (a
// restart) finds the old file or the new one, never half of one. A
// failure leaves the old file; the callers keep only what a restart
// would like to find.
func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+"-*")
	if err != nil {
		return err
	}
	_, err = tmp.Write(data)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
	}
	return err
}
