package twilio

import (
	"net/url"

	twclient "github.com/twilio/twilio-go/client"
)

// ValidateSignature reports whether signature (the X-Twilio-Signature
// header) is Twilio's signature of a webhook POST of form to fullURL, with
// twilio-go's validator. fullURL is the URL Twilio was configured to call,
// as Twilio saw it (PUBLIC_BASE_URL and the path, with any query), not the
// one this process heard behind a proxy.
//
// twilio-go signs the first value of each form key, which is all Twilio's
// status and inbound webhooks send.
func ValidateSignature(authToken, fullURL string, form url.Values, signature string) bool {
	if authToken == "" || signature == "" {
		return false
	}
	params := make(map[string]string, len(form))
	for k, v := range form {
		if len(v) > 0 {
			params[k] = v[0]
		}
	}
	v := twclient.NewRequestValidator(authToken)
	return v.Validate(fullURL, params, signature)
}
