package techx

import (
	"crypto/sha256"
	"encoding/hex"
)

// HashSecret returns the hex SHA-256 of an opaque secret (refresh tokens,
// invitation codes): only such hashes are stored.
func HashSecret(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}
