package search

// SetStage1Cands sets the candidates of two-stage ranking and returns the
// previous value (tests measuring the approximation at scale).
func SetStage1Cands(n int) int {
	old := stage1Cands
	stage1Cands = n
	return old
}

// SetTwoStageMinDocs sets the index size from which ranking has two
// stages and returns the previous value.
func SetTwoStageMinDocs(n uint64) uint64 {
	old := twoStageMinDocs
	twoStageMinDocs = n
	return old
}

// SetStage1Frac sets the postings budget of the first stage (× documents)
// and returns the previous value.
func SetStage1Frac(f float64) float64 {
	old := stage1Frac
	stage1Frac = f
	return old
}
