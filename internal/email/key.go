package email

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"

	taskemail "github.com/salonworks/jobs/tasks/email"
)

// DerivedKeyPrefix starts the idempotency key of an email whose producer
// gave none.
const DerivedKeyPrefix = "derived:"

// IdempotencyKey returns the outbox key of p: the producer's
// IdempotencyKey, or DerivedKeyPrefix and the SHA-256 of the template, the
// lowercased recipient and the data as canonical JSON (keys sorted, no
// HTML escaping), so the same email enqueued twice is sent once. A producer
// that means to send the same content twice (a reminder repeated a week
// later) gives each its own key.
func IdempotencyKey(p taskemail.SendPayload) string {
	if p.IdempotencyKey != "" {
		return p.IdempotencyKey
	}
	h := sha256.New()
	h.Write([]byte(p.Template))
	h.Write([]byte{0})
	h.Write([]byte(strings.ToLower(strings.TrimSpace(p.To))))
	h.Write([]byte{0})
	h.Write(canonicalJSON(p.Data))
	return DerivedKeyPrefix + hex.EncodeToString(h.Sum(nil))
}

// canonicalJSON encodes data with sorted keys (encoding/json sorts map
// keys) and without HTML escaping. Numbers keep Go's shortest form, so 30
// decoded from JSON (float64) and 30 from a Go producer (int) agree.
func canonicalJSON(data map[string]any) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(data); err != nil {
		// Validated data is strings and numbers; anything else still
		// needs a stable key, and its printed form is one.
		b.Reset()
		b.WriteString("unencodable")
	}
	return b.Bytes()
}
