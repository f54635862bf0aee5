package admin

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// Which proxy headers are believed.
//
// Behind the ALB every request reaches the task from the load balancer's
// private VPC address, and the ALB appends the client's address to
// X-Forwarded-For and sets X-Forwarded-Proto. So the headers are taken
// only when the direct peer is a private or loopback address (the ALB, a
// local reverse proxy, a test), and then only the rightmost
// X-Forwarded-For entry: the one the last proxy appended. Entries to its
// left are whatever the client sent and are never believed. A peer on a
// public address is the client itself and its headers are ignored. This
// needs no configuration, at the price that anything able to reach the
// task from inside the VPC can choose its rate-limit key; the task's
// security group should admit only the ALB.

// peerAddr returns the address of the direct peer.
func peerAddr(r *http.Request) (netip.Addr, bool) {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}, false
	}
	return a.Unmap(), true
}

// trustedPeer reports whether the direct peer is a proxy whose forwarding
// headers are believed.
func trustedPeer(r *http.Request) bool {
	a, ok := peerAddr(r)
	return ok && (a.IsLoopback() || a.IsPrivate())
}

// clientAddr returns the client's address: the direct peer, or behind a
// trusted proxy the rightmost X-Forwarded-For entry. It is what failed
// logins are counted against and what the logs name.
func clientAddr(r *http.Request) netip.Addr {
	peer, ok := peerAddr(r)
	if !ok {
		return netip.Addr{}
	}
	if !(peer.IsLoopback() || peer.IsPrivate()) {
		return peer
	}
	values := r.Header.Values("X-Forwarded-For")
	if len(values) == 0 {
		return peer
	}
	last := values[len(values)-1]
	if i := strings.LastIndexByte(last, ','); i >= 0 {
		last = last[i+1:]
	}
	a, err := netip.ParseAddr(strings.TrimSpace(last))
	if err != nil {
		return peer
	}
	return a.Unmap()
}

// scheme returns "https" when the request arrived over TLS, here or at a
// trusted proxy that says so in X-Forwarded-Proto, and "http" otherwise.
func scheme(r *http.Request) string {
	if r.TLS != nil {
		return "https"
	}
	if trustedPeer(r) && strings.EqualFold(strings.TrimSpace(r.Header.Get("X-Forwarded-Proto")), "https") {
		return "https"
	}
	return "http"
}

// limitKey is what failed logins are counted under: the address, or for
// IPv6 its /64, since one client usually holds a whole /64.
func limitKey(a netip.Addr) netip.Prefix {
	if a.Is4() {
		return netip.PrefixFrom(a, 32)
	}
	p, err := a.Prefix(64)
	if err != nil {
		return netip.Prefix{}
	}
	return p
}
