package admin

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/salonworks/jobs/internal/config"
)

// HashCost is the bcrypt cost of HashPassword: about a quarter of a second
// per guess on current hardware.
const HashCost = 12

// HashPassword returns the bcrypt hash of password for ADMIN_USERS.
func HashPassword(password []byte) (string, error) {
	if len(password) == 0 {
		return "", errors.New("empty password")
	}
	h, err := bcrypt.GenerateFromPassword(password, HashCost)
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	return string(h), nil
}

// verifiedTTL is how long a verified name and password pair is
// remembered. The dashboard polls its API every few seconds, each request
// carrying basic credentials; a bcrypt compare for each would spend a core
// on one open browser tab. Caddy's basic auth keeps the same kind of cache.
const verifiedTTL = 5 * time.Minute

// maxVerified bounds the cache; it only holds pairs that were right, so it
// stays as small as the number of operators signed in.
const maxVerified = 1024

// authenticator checks names and passwords against ADMIN_USERS.
type authenticator struct {
	users map[string]config.AdminUser
	// dummy is compared against when the name is unknown, so an unknown
	// name costs the same bcrypt time as a wrong password.
	dummy []byte
	// compare is bcrypt.CompareHashAndPassword; a test counts calls.
	compare func(hash, password []byte) error
	now     func() time.Time

	mu  sync.Mutex
	key [32]byte
	// verified maps HMAC(key, name NUL password) to its expiry. Neither
	// the password nor a fast hash of it is kept: without the key, which
	// never leaves the process, the entries are useless to a reader.
	verified map[[32]byte]time.Time
}

func newAuthenticator(users []config.AdminUser, now func() time.Time) (*authenticator, error) {
	a := &authenticator{
		users:    map[string]config.AdminUser{},
		compare:  bcrypt.CompareHashAndPassword,
		now:      now,
		verified: map[[32]byte]time.Time{},
	}
	if _, err := rand.Read(a.key[:]); err != nil {
		return nil, fmt.Errorf("auth cache key: %w", err)
	}
	cost := HashCost
	for i, u := range users {
		c, err := bcrypt.Cost([]byte(u.Hash))
		if err != nil {
			return nil, fmt.Errorf("ADMIN_USERS entry %d (%s): %w", i+1, u.Name, err)
		}
		if i == 0 || c > cost {
			cost = c
		}
		a.users[u.Name] = u
	}
	// Costs the same as the dearest real hash, so no user's absence is
	// faster to learn than a wrong password.
	dummy, err := bcrypt.GenerateFromPassword([]byte("no such user"), cost)
	if err != nil {
		return nil, fmt.Errorf("dummy hash: %w", err)
	}
	a.dummy = dummy
	return a, nil
}

// check returns the user for name and password, or false.
func (a *authenticator) check(name, password string) (config.AdminUser, bool) {
	u, known := a.users[name]
	mac := hmac.New(sha256.New, a.key[:])
	mac.Write([]byte(name))
	mac.Write([]byte{0})
	mac.Write([]byte(password))
	var sum [32]byte
	mac.Sum(sum[:0])

	now := a.now()
	a.mu.Lock()
	exp, hit := a.verified[sum]
	a.mu.Unlock()
	if known && hit && now.Before(exp) {
		return u, true
	}
	hash := a.dummy
	if known {
		hash = []byte(u.Hash)
	}
	if err := a.compare(hash, []byte(password)); err != nil || !known {
		return config.AdminUser{}, false
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.verified) >= maxVerified {
		for k, e := range a.verified {
			if !now.Before(e) {
				delete(a.verified, k)
			}
		}
		if len(a.verified) >= maxVerified {
			clear(a.verified)
		}
	}
	a.verified[sum] = now.Add(verifiedTTL)
	return u, true
}
