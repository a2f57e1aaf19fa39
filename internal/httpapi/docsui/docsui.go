// Package docsui embeds the /docs page: an HTML shell and the vendored
// Redoc standalone bundle (see README.md for its version and licence).
package docsui

import _ "embed"

// Index is the HTML page served at /docs.
//
//go:embed index.html
var Index []byte

// RedocJS is redoc.standalone.js (Redoc 2.5.4, MIT).
//
//go:embed redoc.standalone.js
var RedocJS []byte
