package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/mailscope/mailscope/servers"
)

// runFile is the file in the data directory where a running mailscope
// says where it is: its web address, its control token and its
// listeners. Only its owner may read it (mode 0600: the token is in it);
// the process that runs holds a lock on it, so a file left by a killed
// process is recognised as stale and taken over.
const runFile = "running.json"

// runInfo is what runFile holds.
type runInfo struct {
	PID       int                `json:"pid"`
	Web       string             `json:"web,omitempty"`   // the web timeline's address to open, without the token
	Token     string             `json:"token,omitempty"` // the control token, when the web timeline needs one
	Listeners []servers.Listener `json:"listeners,omitempty"`
	Started   time.Time          `json:"started"`
}

// errRunning says that another process holds the data directory.
var errRunning = errors.New("another mailscope runs on this data directory")

// runLock is the lock of a data directory held by this process.
type runLock struct {
	f       *os.File
	path    string
	pointer string // this instance's file in runtimeDir, once written
}

// lockData takes the data directory dir for this process. When another
// live process holds it, it returns errRunning with what that process
// wrote (possibly nothing yet, when it is still starting).
func lockData(dir string) (*runLock, *runInfo, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, nil, err
	}
	path := filepath.Join(dir, runFile)
	for attempt := 0; ; attempt++ {
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
		if err != nil {
			return nil, nil, err
		}
		// A file left with wider permissions (copied, restored) is
		// narrowed before the token goes into it.
		if err := f.Chmod(0o600); err != nil {
			f.Close()
			return nil, nil, err
		}
		held, err := tryLock(f, true)
		if err != nil {
			f.Close()
			return nil, nil, err
		}
		if held {
			info := readRunInfo(f)
			f.Close()
			return nil, info, errRunning
		}
		// The holder may have removed the file between our open and our
		// lock (a clean shutdown): the lock is then on a file nobody
		// else sees, so open the path again.
		if fi, err := f.Stat(); err == nil {
			if pi, err := os.Stat(path); err == nil && os.SameFile(fi, pi) {
				return &runLock{f: f, path: path}, nil, nil
			}
		}
		f.Close()
		if attempt == 3 {
			return nil, nil, errRunning
		}
	}
}

// write records info in the locked file.
func (l *runLock) write(info *runInfo) error {
	if l == nil {
		return nil
	}
	b, err := json.Marshal(info)
	if err != nil {
		return err
	}
	if err := l.f.Truncate(0); err != nil {
		return err
	}
	_, err = l.f.WriteAt(append(b, '\n'), 0)
	return err
}

// release removes the file and drops the lock (a clean shutdown).
func (l *runLock) release() {
	if l == nil {
		return
	}
	if l.pointer != "" {
		os.Remove(l.pointer)
	}
	os.Remove(l.path)
	l.f.Close()
}

// readRunInfo reads what f holds, or an empty runInfo.
func readRunInfo(f *os.File) *runInfo {
	info := &runInfo{}
	b, err := io.ReadAll(io.NewSectionReader(f, 0, 1<<20))
	if err == nil {
		json.Unmarshal(b, info)
	}
	return info
}

// findRunning returns what the mailscope running on data directory dir
// wrote, or nil when none runs there (no file, or a stale one whose
// process is gone).
func findRunning(dir string) *runInfo {
	f, err := os.Open(filepath.Join(dir, runFile))
	if err != nil {
		return nil
	}
	defer f.Close()
	held, err := tryLock(f, false)
	if err != nil || !held {
		return nil
	}
	info := readRunInfo(f)
	if info.Web == "" {
		return nil
	}
	return info
}

// dataLocked reports whether a mailscope holds the lock on dir's run file,
// starting up or running: a pointer to such a directory is not stale even
// while the run file does not name its web address yet.
func dataLocked(dir string) bool {
	f, err := os.Open(filepath.Join(dir, runFile))
	if err != nil {
		return false
	}
	defer f.Close()
	held, err := tryLock(f, false)
	return err == nil && held
}

// webFlagURL turns the --web address of a command that talks to a
// running mailscope into the URL to call.
func webFlagURL(addr string) string {
	if strings.Contains(addr, "://") {
		return strings.TrimRight(addr, "/")
	}
	return webURL(addr)
}

// takeData takes the data directory for a world started by this process;
// when a mailscope already runs there, the error says where it is, in
// lang (never with its token).
func takeData(dir, lang string) (*runLock, error) {
	l, info, err := lockData(dir)
	if errors.Is(err, errRunning) {
		if info == nil {
			info = &runInfo{}
		}
		pid, url := strconv.Itoa(info.PID), info.Web
		if info.PID == 0 {
			pid = "?"
		}
		if url == "" {
			url = say(lang, "cli.err.running.starting")
		}
		var list []string
		for _, li := range info.Listeners {
			list = append(list, li.Server+" "+string(li.Proto)+" "+li.Addr)
		}
		if len(list) == 0 {
			list = append(list, say(lang, "cli.err.running.starting"))
		}
		return nil, sayErr(lang, "cli.err.running", err, "dir", dir, "pid", pid, "url", url, "list", strings.Join(list, ", "))
	}
	return l, err
}

// record writes where the world of inst and its web timeline ws (nil when
// it did not start) can be reached.
func (l *runLock) record(inst *servers.Instance, ws *webStart) error {
	info := &runInfo{PID: os.Getpid(), Listeners: inst.Listeners(), Started: time.Now().UTC()}
	if ws != nil {
		info.Web, info.Token = webURL(ws.addr), ws.token
	}
	if err := l.write(info); err != nil {
		return err
	}
	return l.leavePointer()
}

// pointerInfo is what a running mailscope leaves in runtimeDir: where its
// data directory is (never its token: that stays in the data directory,
// readable by its owner only).
type pointerInfo struct {
	Data string `json:"data"`
	PID  int    `json:"pid"`
}

// runtimeDir is this user's directory where each running mailscope leaves
// a pointer to its data directory, so that a plain `mailscope fault B
// down` finds an instance started with --data elsewhere:
// $XDG_RUNTIME_DIR/mailscope, else mailscope-UID in the temporary
// directory.
func runtimeDir() string {
	if d := os.Getenv("XDG_RUNTIME_DIR"); d != "" {
		return filepath.Join(d, "mailscope")
	}
	return filepath.Join(os.TempDir(), "mailscope-"+strconv.Itoa(os.Getuid()))
}

// safeRuntimeDir creates (when make) and returns runtimeDir, or "" when it
// is not a directory of this user's that only this user may enter (in a
// shared temporary directory another user could have made it first).
func safeRuntimeDir(make bool) string {
	dir := runtimeDir()
	if make {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return ""
		}
	}
	fi, err := os.Lstat(dir)
	if err != nil || !fi.IsDir() || !private(fi) {
		return ""
	}
	return dir
}

// leavePointer writes this instance's pointer into runtimeDir (mode 0600);
// release removes it. A pointer that cannot be written only costs the
// commands their search: --data still finds the instance.
func (l *runLock) leavePointer() error {
	dir := safeRuntimeDir(true)
	if dir == "" || l.pointer != "" {
		return nil
	}
	data, err := filepath.Abs(filepath.Dir(l.path))
	if err != nil {
		return err
	}
	sum := sha256.Sum256([]byte(data))
	path := filepath.Join(dir, hex.EncodeToString(sum[:8])+".json")
	b, _ := json.Marshal(pointerInfo{Data: data, PID: os.Getpid()})
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(append(b, '\n'))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		l.pointer = path
	}
	return err
}

// liveInstance is a mailscope found running: its data directory and what
// it recorded there.
type liveInstance struct {
	data string
	info *runInfo
}

// pointedInstances are the live instances the pointers in runtimeDir name,
// by data directory; a pointer whose instance is gone (no lock held on its
// data directory) is removed.
func pointedInstances() []liveInstance {
	dir := safeRuntimeDir(false)
	if dir == "" {
		return nil
	}
	names, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	var live []liveInstance
	seen := map[string]bool{}
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil {
			continue
		}
		var p pointerInfo
		if json.Unmarshal(b, &p) != nil || p.Data == "" || seen[p.Data] {
			continue
		}
		seen[p.Data] = true
		if info := findRunning(p.Data); info != nil {
			live = append(live, liveInstance{p.Data, info})
		} else if !dataLocked(p.Data) {
			os.Remove(n) // its instance is gone: the pointer is stale
		}
	}
	sort.Slice(live, func(i, j int) bool { return live[i].data < live[j].data })
	return live
}

// resolveData is the data directory whose instance a command talks to
// when none of --data, --web and --url is given: data (the default) when
// a mailscope runs there, else the one live instance the pointers name;
// with several, an error in lang lists them and asks for --data. With
// none it is data.
func resolveData(cmd *cobra.Command, data, lang string) (string, error) {
	for _, name := range []string{"data", "web", "url"} {
		if f := cmd.Flag(name); f != nil && f.Changed {
			return data, nil
		}
	}
	if findRunning(data) != nil {
		return data, nil
	}
	live := pointedInstances()
	switch len(live) {
	case 0:
		return data, nil
	case 1:
		return live[0].data, nil
	}
	var list []string
	for _, li := range live {
		list = append(list, "--data "+li.data+" ("+li.info.Web+")")
	}
	return data, sayErr(lang, "cli.err.several", nil, "list", strings.Join(list, "; "))
}
