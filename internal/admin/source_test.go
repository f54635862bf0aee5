package admin

import (
	"net/http/httptest"
	"testing"
)

func TestClientAddrAndScheme(t *testing.T) {
	tests := []struct {
		name, remote string
		xff          []string
		proto        string
		wantAddr     string
		wantScheme   string
	}{
		{"direct public client", "198.51.100.7:4000", nil, "", "198.51.100.7", "http"},
		{"public client's forged headers are ignored", "198.51.100.7:4000", []string{"10.0.0.1"}, "https", "198.51.100.7", "http"},
		{"behind the ALB: rightmost entry", "10.0.1.20:4000", []string{"1.2.3.4, 203.0.113.5"}, "https", "203.0.113.5", "https"},
		{"behind the ALB: last of several headers", "10.0.1.20:4000", []string{"1.2.3.4", "203.0.113.6"}, "", "203.0.113.6", "http"},
		{"behind a local proxy", "127.0.0.1:4000", []string{"203.0.113.7"}, "HTTPS", "203.0.113.7", "https"},
		{"IPv6 peer on loopback", "[::1]:4000", []string{"2001:db8::1"}, "", "2001:db8::1", "http"},
		{"garbage header falls back to the peer", "10.0.1.20:4000", []string{"not-an-ip"}, "", "10.0.1.20", "http"},
		{"no header", "192.168.1.9:4000", nil, "", "192.168.1.9", "http"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/admin/queues", nil)
			r.RemoteAddr = tt.remote
			for _, v := range tt.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			if tt.proto != "" {
				r.Header.Set("X-Forwarded-Proto", tt.proto)
			}
			if got := clientAddr(r).String(); got != tt.wantAddr {
				t.Errorf("clientAddr = %s, want %s", got, tt.wantAddr)
			}
			if got := scheme(r); got != tt.wantScheme {
				t.Errorf("scheme = %s, want %s", got, tt.wantScheme)
			}
		})
	}
}

func TestLimitKeyGroupsAnIPv6Slash64(t *testing.T) {
	a := limitKey(mustAddr(t, "2001:db8:1:2::1"))
	b := limitKey(mustAddr(t, "2001:db8:1:2:ffff::9"))
	c := limitKey(mustAddr(t, "2001:db8:1:3::1"))
	if a != b || a == c {
		t.Errorf("keys %v %v %v: want the first two equal and the third apart", a, b, c)
	}
	if v4 := limitKey(mustAddr(t, "203.0.113.1")); v4.Bits() != 32 {
		t.Errorf("IPv4 key %v, want the single address", v4)
	}
}
