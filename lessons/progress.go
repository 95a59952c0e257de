package lessons

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"
)

// ProgressFile is the name of the progress file in the data directory.
const ProgressFile = "lessons-progress.json"

// LessonProgress is how far a user got in one lesson.
type LessonProgress struct {
	// Done lists the 0-based indexes of the steps done, ascending.
	Done []int `json:"done"`
	// Steps is how many steps the lesson had when last saved.
	Steps     int       `json:"steps"`
	Completed bool      `json:"completed"` // every step was done at least once
	Updated   time.Time `json:"updated"`
}

// Next returns the first step not done yet (0 when all are done: a
// completed lesson starts again from the beginning).
func (p LessonProgress) Next() int {
	done := map[int]bool{}
	for _, i := range p.Done {
		done[i] = true
	}
	for i := 0; i < p.Steps; i++ {
		if !done[i] {
			return i
		}
	}
	return 0
}

// Progress is the user's progress in every lesson, kept as JSON in the data
// directory. It is safe for concurrent use; every change is saved at once
// (written to a temporary file, then renamed over the old one).
type Progress struct {
	path string

	mu      sync.Mutex
	lessons map[string]*LessonProgress
}

type progressFile struct {
	Version int                        `json:"version"`
	Lessons map[string]*LessonProgress `json:"lessons"`
}

// ProgressError is a progress file that cannot be read as JSON: deleting
// it starts the lessons afresh (the command line says so in the user's
// language).
type ProgressError struct {
	Path string
	Err  error
}

func (e *ProgressError) Error() string {
	return fmt.Sprintf("%s: %v (delete it to start the lessons afresh)", e.Path, e.Err)
}

func (e *ProgressError) Unwrap() error { return e.Err }

// SaveError is a progress file that could not be written; the runner
// says so in the lesson's language.
type SaveError struct{ Err error }

func (e *SaveError) Error() string { return "saving lesson progress: " + e.Err.Error() }

func (e *SaveError) Unwrap() error { return e.Err }

// LoadProgress reads the progress file of dataDir; a missing file is an
// empty progress.
func LoadProgress(dataDir string) (*Progress, error) {
	return LoadProgressFile(filepath.Join(dataDir, ProgressFile))
}

// LoadProgressFile reads the progress file at path (a class keeps one per
// student); a missing file is an empty progress.
func LoadProgressFile(path string) (*Progress, error) {
	p := &Progress{path: path, lessons: map[string]*LessonProgress{}}
	b, err := os.ReadFile(p.path)
	if errors.Is(err, fs.ErrNotExist) {
		return p, nil
	}
	if err != nil {
		return nil, err
	}
	var f progressFile
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, &ProgressError{Path: p.path, Err: err}
	}
	for id, lp := range f.Lessons {
		if lp != nil {
			p.lessons[id] = lp
		}
	}
	return p, nil
}

// Newest returns the lesson worked on last and its progress ("" when none).
func (p *Progress) Newest() (string, LessonProgress) {
	p.mu.Lock()
	defer p.mu.Unlock()
	id, best := "", LessonProgress{}
	for k, lp := range p.lessons {
		if id == "" || lp.Updated.After(best.Updated) {
			id, best = k, *lp
		}
	}
	best.Done = append([]int(nil), best.Done...)
	return id, best
}

// Path is the progress file.
func (p *Progress) Path() string { return p.path }

// Get returns the progress in lesson id (the zero value if never started).
func (p *Progress) Get(id string) LessonProgress {
	p.mu.Lock()
	defer p.mu.Unlock()
	if lp, ok := p.lessons[id]; ok {
		c := *lp
		c.Done = append([]int(nil), lp.Done...)
		return c
	}
	return LessonProgress{}
}

// StepDone records that step (0-based) of lesson id, which has steps
// steps, is done, and saves.
func (p *Progress) StepDone(id string, step, steps int) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	lp := p.lessons[id]
	if lp == nil {
		lp = &LessonProgress{}
		p.lessons[id] = lp
	}
	lp.Steps = steps
	have := false
	for _, i := range lp.Done {
		have = have || i == step
	}
	if !have {
		lp.Done = append(lp.Done, step)
		sort.Ints(lp.Done)
	}
	if len(lp.Done) >= steps {
		lp.Completed = true
	}
	lp.Updated = time.Now().UTC()
	return p.saveLocked()
}

// Restart forgets which steps of lesson id were done (a completed lesson
// stays marked completed) and saves.
func (p *Progress) Restart(id string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	lp := p.lessons[id]
	if lp == nil {
		return nil
	}
	lp.Done = nil
	lp.Updated = time.Now().UTC()
	return p.saveLocked()
}

func (p *Progress) saveLocked() error {
	b, err := json.MarshalIndent(progressFile{Version: 1, Lessons: p.lessons}, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(p.path), 0o755); err != nil {
		return &SaveError{Err: err}
	}
	tmp, err := os.CreateTemp(filepath.Dir(p.path), ".progress-*")
	if err != nil {
		return &SaveError{Err: err}
	}
	_, err = tmp.Write(append(b, '\n'))
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), p.path)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return &SaveError{Err: err}
	}
	return nil
}
