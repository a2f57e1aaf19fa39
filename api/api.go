// Package api embeds the OpenAPI description of the TechX API.
package api

import _ "embed"

// Spec is api/openapi.yaml, served at /api/v1/openapi.yaml.
//
//go:embed openapi.yaml
var Spec []byte
