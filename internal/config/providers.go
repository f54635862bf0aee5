package config

import (
	"fmt"
	"net/mail"
	"regexp"
	"strings"
)

var (
	e164     = regexp.MustCompile(`^\+[1-9][0-9]{1,14}$`)
	s3Bucket = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)
)

// checkProvider applies the rules shared by SMS_PROVIDER, EMAIL_PROVIDER
// and STORAGE: one of a real and a local choice, required outside
// development by the commands that require it, and the local one refused
// there unless ALLOW_LOG_PROVIDERS in the commands that send.
func (l *loader) checkProvider(c *Config, name, value, real, local, refusal string) {
	deployed := !c.Development()
	switch {
	case value == "" && deployed && l.cmd.requires(name):
		l.add(name, fmt.Sprintf("required in %s (%s, or %s with ALLOW_LOG_PROVIDERS=true)", deployedEnv(c), real, local))
	case value == "":
		// Development defaults fill it, or this command can do without.
	case value != real && value != local:
		l.add(name, fmt.Sprintf("%q is not %s or %s", value, real, local))
	case value == local && deployed && l.cmd.Sends && !c.AllowLogProviders:
		l.add(name, fmt.Sprintf("%s is refused in %s unless ALLOW_LOG_PROVIDERS=true (%s)", local, deployedEnv(c), refusal))
	}
}

func (l *loader) validateSMS(c *Config) {
	l.checkProvider(c, "SMS_PROVIDER", c.SMSProvider, "twilio", "log", "no SMS would reach a customer")
	if c.SMSProvider == "twilio" {
		if c.TwilioAccountSID == "" {
			l.add("TWILIO_ACCOUNT_SID", "required when SMS_PROVIDER=twilio")
		}
		if c.TwilioAuthToken == "" {
			l.add("TWILIO_AUTH_TOKEN", "required when SMS_PROVIDER=twilio")
		}
		if c.TwilioMessagingServiceSID == "" && c.TwilioFrom == "" {
			l.add("TWILIO_MESSAGING_SERVICE_SID", "required when SMS_PROVIDER=twilio, or set TWILIO_FROM")
		}
		if c.PublicBaseURL == "" && !c.Development() {
			l.add("PUBLIC_BASE_URL", fmt.Sprintf("required in %s when SMS_PROVIDER=twilio (Twilio calls back to it)", deployedEnv(c)))
		}
	}
	if s := c.TwilioAccountSID; s != "" && !strings.HasPrefix(s, "AC") {
		l.add("TWILIO_ACCOUNT_SID", "does not start with AC: give the account SID, not an API key or service SID")
	}
	if s := c.TwilioMessagingServiceSID; s != "" && !strings.HasPrefix(s, "MG") {
		l.add("TWILIO_MESSAGING_SERVICE_SID", "does not start with MG: give the messaging service SID")
	}
	if s := c.TwilioFrom; s != "" && !e164.MatchString(s) {
		l.add("TWILIO_FROM", fmt.Sprintf("%q is not an E.164 number (like +15551234567)", s))
	}
	l.checkURL("TWILIO_API_BASE", c.TwilioAPIBase, false)
	if !l.failed["SMS_RATE_PER_SECOND"] && c.SMSRatePerSecond <= 0 {
		l.add("SMS_RATE_PER_SECOND", "must be above 0")
	}
	if _, err := ParseWindow(c.SMSQuietHours); err != nil {
		l.add("SMS_QUIET_HOURS", err.Error())
	}
}

func (l *loader) validateEmail(c *Config) {
	l.checkProvider(c, "EMAIL_PROVIDER", c.EmailProvider, "ses", "log", "no email would reach anyone")
	switch {
	case c.EmailFrom != "":
		if _, err := mail.ParseAddress(c.EmailFrom); err != nil {
			l.add("EMAIL_FROM", fmt.Sprintf("%q is not an email address (like Salon <no-reply@example.com>)", c.EmailFrom))
		}
	case c.EmailProvider == "ses":
		l.add("EMAIL_FROM", "required when EMAIL_PROVIDER=ses")
	}
	l.checkURL("SES_ENDPOINT", c.SESEndpoint, false)
}

func (l *loader) validateStorage(c *Config) {
	l.checkProvider(c, "STORAGE", c.Storage, "s3", "local", "files would stay on one task's disk")
	switch {
	case c.S3Bucket != "":
		if !s3Bucket.MatchString(c.S3Bucket) {
			l.add("S3_BUCKET", fmt.Sprintf("%q is not a bucket name (no s3:// or path)", c.S3Bucket))
		}
	case c.Storage == "s3":
		l.add("S3_BUCKET", "required when STORAGE=s3")
	}
	l.checkURL("S3_ENDPOINT", c.S3Endpoint, false)
}
