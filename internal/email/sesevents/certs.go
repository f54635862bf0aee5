package sesevents

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/salonworks/jobs/internal/clock"
)

// DefaultHosts is the host pattern of Amazon SNS's regional endpoints,
// which serve its signing certificates and subscription links.
const DefaultHosts = "sns.*.amazonaws.com"

// Errors of Certificates, for errors.Is.
var (
	// ErrRefused: the URL or the certificate is not acceptable; the
	// message is refused.
	ErrRefused = errors.New("refused")
	// ErrUnavailable: the certificate could not be fetched now (network,
	// a 5xx); SNS retries the message later.
	ErrUnavailable = errors.New("signing certificate unavailable")
)

// HostPattern matches host names label by label; a "*" label matches any
// one label of letters, digits and hyphens.
type HostPattern struct {
	labels []string
}

// ParseHostPattern parses a pattern like "sns.*.amazonaws.com".
func ParseHostPattern(s string) (HostPattern, error) {
	labels := strings.Split(strings.ToLower(s), ".")
	for _, l := range labels {
		if l == "" || (l != "*" && !isLabel(l)) {
			return HostPattern{}, fmt.Errorf("host pattern %q: %q is not a DNS label or *", s, l)
		}
	}
	return HostPattern{labels: labels}, nil
}

// String returns the pattern as parsed.
func (p HostPattern) String() string { return strings.Join(p.labels, ".") }

// Match reports whether host (without port) matches the pattern.
func (p HostPattern) Match(host string) bool {
	labels := strings.Split(strings.ToLower(host), ".")
	if len(p.labels) == 0 || len(labels) != len(p.labels) {
		return false
	}
	for i, l := range labels {
		if !isLabel(l) || (p.labels[i] != "*" && p.labels[i] != l) {
			return false
		}
	}
	return true
}

func isLabel(l string) bool {
	if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
		return false
	}
	for _, c := range l {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// CheckURL returns an error wrapping ErrRefused unless raw is an https URL
// on a host the pattern allows, without credentials.
func (p HostPattern) CheckURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return nil, fmt.Errorf("%w: not a URL", ErrRefused)
	case u.Scheme != "https":
		return nil, fmt.Errorf("%w: %s URL, not https", ErrRefused, u.Scheme)
	case u.User != nil:
		return nil, fmt.Errorf("%w: URL with credentials", ErrRefused)
	case !p.Match(u.Hostname()):
		return nil, fmt.Errorf("%w: host %q does not match %s", ErrRefused, u.Hostname(), p)
	}
	return u, nil
}

// Limits of certificate fetching.
const (
	maxCertBytes = 64 << 10
	certTimeout  = 10 * time.Second
	// certTTL bounds how long a certificate is used without fetching it
	// again, however long it is valid.
	certTTL        = 24 * time.Hour
	maxCachedCerts = 32
)

// Certificates fetches SNS signing certificates from URLs on Hosts,
// checks them, and caches them per URL. It is safe for concurrent use.
type Certificates struct {
	// Hosts allows the certificates' hosts.
	Hosts HostPattern
	// Client fetches them; nil is NewClient(). It must not follow
	// redirects to hosts Hosts refuses.
	Client *http.Client
	// Clock checks validity dates and expires the cache; nil is the wall
	// clock.
	Clock clock.Clock

	mu    sync.Mutex
	cache map[string]cachedCert
}

type cachedCert struct {
	key     *rsa.PublicKey
	expires time.Time
}

// NewClient returns the HTTP client of Certificates and subscription
// confirmations: a timeout, and no redirects, so a URL's host is the only
// host ever asked.
func NewClient() *http.Client {
	return &http.Client{
		Timeout:       certTimeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// Key returns the public key of the certificate at rawURL: an https URL
// on an allowed host ending in .pem, serving one PEM certificate, valid
// now, with an RSA key. Errors wrap ErrRefused or ErrUnavailable.
func (c *Certificates) Key(ctx context.Context, rawURL string) (*rsa.PublicKey, error) {
	u, err := c.Hosts.CheckURL(rawURL)
	if err != nil {
		return nil, fmt.Errorf("signing certificate URL: %w", err)
	}
	if !strings.HasSuffix(u.Path, ".pem") || u.RawQuery != "" {
		return nil, fmt.Errorf("signing certificate URL: %w: not a .pem file", ErrRefused)
	}
	now := c.Clock.Now()
	c.mu.Lock()
	cached, ok := c.cache[rawURL]
	c.mu.Unlock()
	if ok && now.Before(cached.expires) {
		return cached.key, nil
	}
	cert, err := c.fetch(ctx, u)
	if err != nil {
		return nil, err
	}
	if now.Before(cert.NotBefore) || now.After(cert.NotAfter) {
		return nil, fmt.Errorf("signing certificate: %w: not valid now (valid %s to %s)", ErrRefused,
			cert.NotBefore.Format(time.RFC3339), cert.NotAfter.Format(time.RFC3339))
	}
	key, ok := cert.PublicKey.(*rsa.PublicKey)
	if !ok {
		return nil, fmt.Errorf("signing certificate: %w: %T key, not RSA", ErrRefused, cert.PublicKey)
	}
	expires := now.Add(certTTL)
	if cert.NotAfter.Before(expires) {
		expires = cert.NotAfter
	}
	c.mu.Lock()
	if c.cache == nil || len(c.cache) >= maxCachedCerts {
		// SNS rotates its certificate rarely: a full cache is stale.
		c.cache = make(map[string]cachedCert)
	}
	c.cache[rawURL] = cachedCert{key: key, expires: expires}
	c.mu.Unlock()
	return key, nil
}

func (c *Certificates) fetch(ctx context.Context, u *url.URL) (*x509.Certificate, error) {
	client := c.Client
	if client == nil {
		client = NewClient()
	}
	ctx, cancel := context.WithTimeout(ctx, certTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("fetch signing certificate: %w: %w", ErrRefused, err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetch signing certificate: %w: %w", ErrUnavailable, err)
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode >= 500:
		return nil, fmt.Errorf("fetch signing certificate: %w: status %d", ErrUnavailable, resp.StatusCode)
	case resp.StatusCode != http.StatusOK:
		return nil, fmt.Errorf("fetch signing certificate: %w: status %d", ErrRefused, resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxCertBytes+1))
	if err != nil {
		return nil, fmt.Errorf("fetch signing certificate: %w: %w", ErrUnavailable, err)
	}
	if len(body) > maxCertBytes {
		return nil, fmt.Errorf("signing certificate: %w: over %d bytes", ErrRefused, maxCertBytes)
	}
	block, _ := pem.Decode(body)
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, fmt.Errorf("signing certificate: %w: no PEM certificate", ErrRefused)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("signing certificate: %w: %w", ErrRefused, err)
	}
	return cert, nil
}
