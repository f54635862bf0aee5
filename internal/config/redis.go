package config

import (
	"crypto/tls"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
)

// redisParts are the variables REDIS_URL replaces.
var redisParts = []string{"REDIS_HOST", "REDIS_PORT", "REDIS_PASSWORD", "REDIS_DB", "REDIS_TLS"}

// maxRedisDB is the last database of a default Redis or ElastiCache node.
const maxRedisDB = 15

func (l *loader) validateRedis(c *Config) {
	if c.RedisURL != "" {
		l.validateRedisURL(c)
		return
	}
	if c.RedisHost == "" {
		l.add("REDIS_HOST", "required (or set REDIS_URL)")
	}
	l.checkHost("REDIS_HOST", c.RedisHost, "REDIS_PORT")
	l.checkPort("REDIS_PORT", c.RedisPort)
	if !l.failed["REDIS_DB"] && (c.RedisDB < 0 || c.RedisDB > maxRedisDB) {
		l.add("REDIS_DB", fmt.Sprintf("%d is not a database from 0 to %d", c.RedisDB, maxRedisDB))
	}
}

func (l *loader) validateRedisURL(c *Config) {
	var also []string
	for _, name := range redisParts {
		if l.set[name] {
			also = append(also, name)
		}
	}
	if len(also) > 0 {
		l.add("REDIS_URL", fmt.Sprintf("set REDIS_URL or the REDIS_* parts, not both (also set: %s)", strings.Join(also, ", ")))
	}
	// Parse once ourselves first: url.Parse's errors quote the whole URL.
	u, err := url.Parse(c.RedisURL)
	if err != nil {
		l.add("REDIS_URL", "not a valid URL (percent-encode special characters in the password)")
		return
	}
	if p, ok := u.User.Password(); ok {
		l.secret(p, url.QueryEscape(p), url.PathEscape(p))
	}
	l.secret(u.Query().Get("password"))
	if u.Scheme != "redis" && u.Scheme != "rediss" {
		l.add("REDIS_URL", "must start with redis:// or rediss:// (TLS)")
		return
	}
	if strings.Contains(c.RedisURL, "#") {
		l.add("REDIS_URL", `holds a "#": percent-encode it as %23 (in a password too), or use the REDIS_* parts`)
		return
	}
	o, err := redis.ParseURL(c.RedisURL)
	if err != nil {
		l.add("REDIS_URL", strings.TrimPrefix(err.Error(), "redis: "))
		return
	}
	if o.DB < 0 || o.DB > maxRedisDB {
		l.add("REDIS_URL", fmt.Sprintf("database %d is not from 0 to %d", o.DB, maxRedisDB))
	}
}

// RedisOptions returns the go-redis options for REDIS_URL, or for the
// REDIS_* parts. TLS (rediss://, or REDIS_TLS=true) requires TLS 1.2 and
// checks the certificate against the host name. It panics on an invalid
// REDIS_URL, which only a Config that skipped Load can hold: falling back
// to go-redis's default of localhost would hide the mistake.
func (c *Config) RedisOptions() *redis.Options {
	if c.RedisURL != "" {
		o, err := redis.ParseURL(c.RedisURL)
		if err != nil {
			panic("config: REDIS_URL is invalid; build Config with Load")
		}
		if o.TLSConfig != nil && o.TLSConfig.MinVersion < tls.VersionTLS12 {
			o.TLSConfig.MinVersion = tls.VersionTLS12
		}
		return o
	}
	o := &redis.Options{
		Addr:     net.JoinHostPort(c.RedisHost, strconv.Itoa(c.RedisPort)),
		Password: c.RedisPassword,
		DB:       c.RedisDB,
	}
	if c.RedisTLS {
		o.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12, ServerName: c.RedisHost}
	}
	return o
}

// AsynqRedis returns the same connection as RedisOptions, for asynq's
// clients, servers, scheduler and inspector.
func (c *Config) AsynqRedis() asynq.RedisClientOpt {
	o := c.RedisOptions()
	return asynq.RedisClientOpt{
		Network:   o.Network,
		Addr:      o.Addr,
		Username:  o.Username,
		Password:  o.Password,
		DB:        o.DB,
		TLSConfig: o.TLSConfig,
	}
}
