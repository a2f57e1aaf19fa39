// Package seeds embeds the data TechX starts from: the plan's taxonomy
// (taxonomy.json), the domain thesaurus (thesaurus.txt) and the demo data
// set (demo/*.json). It is data, not code.
package seeds

import (
	"embed"
	"io/fs"
)

//go:embed taxonomy.json thesaurus.txt demo/*.json
var files embed.FS

// Taxonomy returns the plan's taxonomy as JSON (see techx.ParseTaxonomy).
func Taxonomy() []byte {
	b, err := files.ReadFile("taxonomy.json")
	if err != nil {
		panic(err) // embedded at build time
	}
	return b
}

// Thesaurus returns the domain thesaurus (industry|term|term… per line).
func Thesaurus() []byte {
	b, err := files.ReadFile("thesaurus.txt")
	if err != nil {
		panic(err)
	}
	return b
}

// Demo returns the demo data set: organizations.json, users.json,
// needs.json and results.json.
func Demo() fs.FS {
	sub, err := fs.Sub(files, "demo")
	if err != nil {
		panic(err)
	}
	return sub
}
