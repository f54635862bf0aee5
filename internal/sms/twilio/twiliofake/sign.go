package twiliofake

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"net/url"
	"slices"
)

// Sign returns the X-Twilio-Signature Twilio would send with a webhook
// POST of form to rawURL: the base64 HMAC-SHA1, keyed with the auth token, of
// the URL followed by every parameter name and value, names sorted.
func (f *Fake) Sign(rawURL string, form url.Values) string {
	return Signature(f.authToken, rawURL, form)
}

// Signature computes an X-Twilio-Signature for authToken without a running
// fake, for webhook tests that only need a signed request.
func Signature(authToken, rawURL string, form url.Values) string {
	mac := hmac.New(sha1.New, []byte(authToken))
	mac.Write([]byte(rawURL))
	keys := make([]string, 0, len(form))
	for k := range form {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		for _, v := range form[k] {
			mac.Write([]byte(k + v))
		}
	}
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}
