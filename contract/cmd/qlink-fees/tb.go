package main

import (
	"fmt"
	"os"
	"slices"
	"testing"
)

// tb lets neotest, which takes a testing.TB, run outside `go test`: a
// failed check panics with its message (main turns that into an error
// exit), and clean-ups run when the run is over. Methods neotest does not
// call are left to the embedded nil interface.
type tb struct {
	testing.TB
	cleanups []func()
}

func (t *tb) Helper()                        {}
func (t *tb) Name() string                   { return "qlink-fees" }
func (t *tb) Log(...any)                     {}
func (t *tb) Logf(string, ...any)            {}
func (t *tb) Failed() bool                   { return false }
func (t *tb) Errorf(format string, a ...any) { panic(fmt.Sprintf(format, a...)) }
func (t *tb) Fatalf(format string, a ...any) { panic(fmt.Sprintf(format, a...)) }
func (t *tb) Error(a ...any)                 { panic(fmt.Sprint(a...)) }
func (t *tb) Fatal(a ...any)                 { panic(fmt.Sprint(a...)) }
func (t *tb) FailNow()                       { panic("check failed") }
func (t *tb) Cleanup(f func())               { t.cleanups = append(t.cleanups, f) }
func (t *tb) Setenv(key, value string)       { _ = os.Setenv(key, value) }
func (t *tb) Skipf(format string, a ...any)  { panic(fmt.Sprintf("skip: "+format, a...)) }
func (t *tb) TempDir() string                { return must(os.MkdirTemp("", "qlink-fees")) }

func (t *tb) close() {
	for _, f := range slices.Backward(t.cleanups) {
		f()
	}
	t.cleanups = nil
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
