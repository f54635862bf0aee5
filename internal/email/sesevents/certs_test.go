package sesevents

import (
	"errors"
	"testing"
)

func TestDefaultHostsAreAmazonSNSOnly(t *testing.T) {
	t.Parallel()
	p, err := ParseHostPattern(DefaultHosts)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		url  string
		ok   bool
	}{
		{name: "regional endpoint", url: "https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-abc.pem", ok: true},
		{name: "upper case", url: "https://SNS.US-EAST-1.amazonaws.com/x.pem", ok: true},
		{name: "http", url: "http://sns.eu-west-1.amazonaws.com/x.pem"},
		{name: "suffix attack", url: "https://sns.eu-west-1.amazonaws.com.evil.example/x.pem"},
		{name: "prefix attack", url: "https://evil.sns.eu-west-1.amazonaws.com/x.pem"},
		{name: "no region", url: "https://sns.amazonaws.com/x.pem"},
		{name: "two labels for the star", url: "https://sns.a.b.amazonaws.com/x.pem"},
		{name: "credentials", url: "https://user:pw@sns.eu-west-1.amazonaws.com/x.pem"},
		{name: "another Amazon service", url: "https://s3.eu-west-1.amazonaws.com/x.pem"},
		{name: "not a URL", url: "https://[::1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := p.CheckURL(tt.url)
			if tt.ok != (err == nil) || (err != nil && !errors.Is(err, ErrRefused)) {
				t.Errorf("CheckURL(%q) = %v, want ok %v (else ErrRefused)", tt.url, err, tt.ok)
			}
		})
	}
}
