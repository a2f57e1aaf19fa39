package search

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Change is one outbox entry: the listing kind/id changed at seq.
type Change struct {
	Seq       int64
	Kind      string
	ID        string
	CreatedAt time.Time
}

// Source is the database as the indexer sees it: the outbox log, the
// current state of listings, and a keyset scan of everything published.
type Source interface {
	// ChangesAfter returns up to limit changes with seq > after, in order.
	ChangesAfter(ctx context.Context, after int64, limit int) ([]Change, error)
	// Bounds returns the lowest and highest seq the log still holds.
	Bounds(ctx context.Context) (min, max int64, err error)
	// Docs loads the listings for keys; a key missing from the answer is
	// gone or not published, and is deleted from the index.
	Docs(ctx context.Context, keys []Key) (map[Key]Doc, error)
	// Scan returns up to limit published listings of kind with id > after,
	// in id order.
	Scan(ctx context.Context, kind, after string, limit int) ([]Doc, error)
	// CountPublished counts the listings a full rebuild indexes.
	CountPublished(ctx context.Context) (int, error)
}

// Indexer follows the outbox into the index: it reloads each changed
// listing from the database, indexes it if published (deletes it
// otherwise), and records the last applied seq in the same index batch.
// Failures are retried, never dropped.
type Indexer struct {
	Src   Source
	Index *Index
	Log   *slog.Logger
	// Batch is how many outbox entries one step reads (default 500).
	Batch int
	// Poll is the wait between steps when the log is drained (default 200ms).
	Poll time.Duration
	// GapWait is how long a hole in the seq order (a transaction that
	// took a lower seq but has not committed yet, or rolled back) is
	// waited for before it is skipped (default 30s).
	GapWait time.Duration
	// OnBatch, if set, is told each applied batch's size and duration.
	OnBatch func(n int, d time.Duration)
	// OnApplied, if set, gets the published listings of each applied
	// batch, after the index has them (saved-search notifications).
	OnApplied func(ctx context.Context, docs []Doc)

	kick chan struct{}
	once sync.Once
	pfMu sync.Mutex
	pf   *loaded // the next batch, being read while the current one is indexed
	now  func() time.Time
}

func (x *Indexer) init() {
	x.once.Do(func() {
		x.kick = make(chan struct{}, 1)
		if x.Batch <= 0 {
			x.Batch = 500
		}
		if x.Poll <= 0 {
			x.Poll = 200 * time.Millisecond
		}
		if x.GapWait <= 0 {
			x.GapWait = 30 * time.Second
		}
		if x.Log == nil {
			x.Log = slog.Default()
		}
		if x.now == nil {
			x.now = time.Now
		}
	})
}

// Kick wakes the follower after a write, so the index catches up at once.
func (x *Indexer) Kick() {
	x.init()
	select {
	case x.kick <- struct{}{}:
	default:
	}
}

// Prepare makes the index usable: when it was just (re)created, or its
// position is older than what the log still holds (pruned past it), it is
// rebuilt from the database; otherwise the follower resumes.
func (x *Indexer) Prepare(ctx context.Context) error {
	x.init()
	applied, err := x.Index.Applied()
	if err != nil {
		return err
	}
	lo, hi, err := x.Src.Bounds(ctx)
	if err != nil {
		return err
	}
	stale := hi > 0 && applied < lo-1
	if x.Index.Rebuilt() || stale {
		x.Log.Info("search index: full rebuild", "applied", applied, "log_min", lo, "log_max", hi, "new_index", x.Index.Rebuilt())
		return x.Reindex(ctx, nil)
	}
	return nil
}

// Run follows the log until ctx ends, retrying failures with backoff.
func (x *Indexer) Run(ctx context.Context) error {
	x.init()
	backoff := x.Poll
	for {
		n, err := x.Step(ctx)
		wait := x.Poll
		switch {
		case ctx.Err() != nil:
			return nil
		case err != nil:
			x.Log.Warn("search index: step failed; retrying", "err", err, "in", backoff.String())
			wait, backoff = backoff, min(backoff*2, 10*time.Second)
		case n > 0:
			backoff, wait = x.Poll, 0
		default:
			backoff = x.Poll
		}
		if wait > 0 {
			select {
			case <-ctx.Done():
				return nil
			case <-x.kick:
			case <-time.After(wait):
			}
		}
	}
}

// Step applies one batch of the log and returns how many entries it
// consumed.
func (x *Indexer) Step(ctx context.Context) (int, error) {
	x.init()
	applied, err := x.Index.Applied()
	if err != nil {
		return 0, err
	}
	b := x.takePrefetched(applied)
	if b == nil {
		b = x.load(ctx, applied)
	}
	if b.err != nil || len(b.changes) == 0 {
		return 0, b.err
	}
	// Advance only over a contiguous run of seqs; a hole is waited for
	// (its transaction may still commit) until GapWait has passed.
	pos := applied
	n := 0
	for _, c := range b.changes {
		if c.Seq != pos+1 && x.now().Sub(c.CreatedAt) < x.GapWait {
			break
		}
		pos = c.Seq
		n++
	}
	if n == 0 {
		return 0, nil
	}
	start := time.Now()
	seen := map[Key]bool{}
	var put []Doc
	var del []Key
	for _, c := range b.changes[:n] {
		k := Key{Kind: c.Kind, ID: c.ID}
		if seen[k] {
			continue
		}
		seen[k] = true
		if d, ok := b.docs[k]; ok {
			put = append(put, d)
		} else {
			del = append(del, k)
		}
	}
	if n == len(b.changes) && n == x.Batch {
		// a full batch: the log likely holds more; read the next batch
		// from the database while this one is indexed
		x.prefetch(ctx, pos)
	}
	if err := x.Index.Apply(put, del, pos); err != nil {
		x.dropPrefetched()
		return 0, err
	}
	if x.OnBatch != nil {
		x.OnBatch(n, time.Since(start))
	}
	if x.OnApplied != nil && len(put) > 0 {
		x.OnApplied(ctx, put)
	}
	return n, nil
}

// loaded is one batch of the log with the listings it names.
type loaded struct {
	after   int64
	changes []Change
	docs    map[Key]Doc
	err     error
	ready   chan struct{}
}

// load reads up to Batch changes after seq and the listings they name. A
// listing that changes again after it was read has a later log entry and
// is read again then.
func (x *Indexer) load(ctx context.Context, after int64) *loaded {
	b := &loaded{after: after}
	b.changes, b.err = x.Src.ChangesAfter(ctx, after, x.Batch)
	if b.err != nil || len(b.changes) == 0 {
		return b
	}
	seen := map[Key]bool{}
	var keys []Key
	for _, c := range b.changes {
		k := Key{Kind: c.Kind, ID: c.ID}
		if !seen[k] {
			seen[k] = true
			keys = append(keys, k)
		}
	}
	b.docs, b.err = x.Src.Docs(ctx, keys)
	return b
}

// prefetch starts loading the batch after seq.
func (x *Indexer) prefetch(ctx context.Context, after int64) {
	b := &loaded{after: after, ready: make(chan struct{})}
	x.pfMu.Lock()
	x.pf = b
	x.pfMu.Unlock()
	go func() {
		defer close(b.ready)
		l := x.load(ctx, after)
		b.changes, b.docs, b.err = l.changes, l.docs, l.err
	}()
}

// takePrefetched returns the prefetched batch if it starts at applied
// and loaded without error (it waits for it), else nil.
func (x *Indexer) takePrefetched(applied int64) *loaded {
	x.pfMu.Lock()
	b := x.pf
	x.pf = nil
	x.pfMu.Unlock()
	if b == nil {
		return nil
	}
	<-b.ready
	if b.after != applied || b.err != nil {
		return nil
	}
	return b
}

func (x *Indexer) dropPrefetched() {
	x.pfMu.Lock()
	b := x.pf
	x.pf = nil
	x.pfMu.Unlock()
	if b != nil {
		<-b.ready
	}
}

// Lag returns how many log entries the index is behind.
func (x *Indexer) Lag(ctx context.Context) (int64, error) {
	applied, err := x.Index.Applied()
	if err != nil {
		return 0, err
	}
	_, hi, err := x.Src.Bounds(ctx)
	if err != nil {
		return 0, err
	}
	if hi <= applied {
		return 0, nil
	}
	return hi - applied, nil
}

const reindexCursorKey = "techx_reindex_cursor"

// Reindex rebuilds the index from the database: it notes the log's
// current end, indexes every published listing in id order (resuming from
// a saved keyset cursor if a previous rebuild was interrupted), and then
// sets the applied position to that end so the follower replays what
// changed meanwhile. progress, if set, gets (done, total).
func (x *Indexer) Reindex(ctx context.Context, progress func(done, total int)) error {
	x.init()
	_, hi, err := x.Src.Bounds(ctx)
	if err != nil {
		return err
	}
	total, err := x.Src.CountPublished(ctx)
	if err != nil {
		return err
	}
	kind, after, done := KindNeed, "", 0
	if b, err := x.Index.idx.GetInternal([]byte(reindexCursorKey)); err == nil && len(b) > 0 {
		if k, rest, ok := cutCursor(string(b)); ok {
			kind, after, done = k, rest.id, rest.done
			x.Log.Info("search index: resuming rebuild", "kind", kind, "after", after, "done", done)
		}
	}
	// The next batch is read from the database while the current one is
	// indexed.
	type batch struct {
		kind string
		docs []Doc
		err  error
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	batches := make(chan batch, 1)
	go func() {
		defer close(batches)
		for _, k := range []string{KindNeed, KindResult} {
			if kind == KindResult && k == KindNeed {
				continue
			}
			from := after
			if k != kind {
				from = ""
			}
			for {
				docs, err := x.Src.Scan(ctx, k, from, 500)
				if err == nil && len(docs) == 0 {
					break
				}
				select {
				case batches <- batch{k, docs, err}:
				case <-ctx.Done():
					return
				}
				if err != nil {
					return
				}
				from = docs[len(docs)-1].ID
			}
		}
	}()
	for b := range batches {
		if b.err != nil {
			return b.err
		}
		last := b.docs[len(b.docs)-1].ID
		done += len(b.docs)
		// the documents and the cursor in one batch (atomic, one write)
		if err := x.Index.indexWith(b.docs, []byte(reindexCursorKey), []byte(b.kind+"|"+strconv.Itoa(done)+"|"+last)); err != nil {
			return err
		}
		if progress != nil {
			progress(done, total)
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	if err := x.Index.idx.DeleteInternal([]byte(reindexCursorKey)); err != nil {
		return err
	}
	if applied, _ := x.Index.Applied(); applied > hi {
		hi = applied
	}
	return x.Index.SetApplied(hi)
}

type cursorRest struct {
	done int
	id   string
}

func cutCursor(s string) (string, cursorRest, bool) {
	var k, n, id string
	parts := strings.SplitN(s, "|", 3)
	if len(parts) != 3 {
		return "", cursorRest{}, false
	}
	k, n, id = parts[0], parts[1], parts[2]
	d, err := strconv.Atoi(n)
	if err != nil || (k != KindNeed && k != KindResult) {
		return "", cursorRest{}, false
	}
	return k, cursorRest{done: d, id: id}, true
}

// ErrStopped is returned by Wait when ctx ends first.
var ErrStopped = errors.New("search: stopped waiting")

// WaitApplied blocks until the index has applied seq (tests, tools).
func (x *Indexer) WaitApplied(ctx context.Context, seq int64) error {
	for {
		a, err := x.Index.Applied()
		if err != nil {
			return err
		}
		if a >= seq {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w at %d of %d", ErrStopped, a, seq)
		case <-time.After(20 * time.Millisecond):
		}
	}
}
