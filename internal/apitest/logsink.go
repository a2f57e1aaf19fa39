package apitest

import (
	"io"
	"os"
	"sync"
)

var (
	sinkOnce sync.Once
	sink     io.Writer = io.Discard
)

// EnvLogFile names a file that collects the JSON logs of every test server
// of a run, so a check can grep them for secrets.
const EnvLogFile = "TECHX_TEST_LOG_FILE"

func logSink() io.Writer {
	sinkOnce.Do(func() {
		if p := os.Getenv(EnvLogFile); p != "" {
			if f, err := os.OpenFile(p, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600); err == nil {
				sink = &lockedWriter{w: f}
			}
		}
	})
	return sink
}

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
