// Package testenv gives each test its own slice of the real services: a
// Redis database of its own and a Postgres schema of its own, so tests (and
// test packages) run in parallel without seeing each other's data.
package testenv

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
)

// RedisAddr is the Redis server tests use: TEST_REDIS_ADDR, or the local
// default.
func RedisAddr() string {
	if a := os.Getenv("TEST_REDIS_ADDR"); a != "" {
		return a
	}
	return "127.0.0.1:6379"
}

// lockPrefix names the keys in database 0 through which concurrent test
// processes share out databases 1..15.
const lockPrefix = "jobs:testenv:db:"

// Redis is one test's Redis database.
type Redis struct {
	// Addr is the server address.
	Addr string
	// DB is the database number, reserved for this test until it ends.
	DB int
	// Client talks to that database.
	Client *redis.Client
}

// ConnOpt returns asynq's connection options for the database.
func (r *Redis) ConnOpt() asynq.RedisClientOpt {
	return asynq.RedisClientOpt{Addr: r.Addr, DB: r.DB}
}

// URL returns the database as a REDIS_URL.
func (r *Redis) URL() string { return fmt.Sprintf("redis://%s/%d", r.Addr, r.DB) }

// NewRedis reserves a free database (1..15) on the test Redis server,
// empties it, and releases it when the test ends. It waits while every
// database is taken by other tests, and fails the test when Redis is down.
func NewRedis(t testing.TB) *Redis {
	t.Helper()
	addr := RedisAddr()
	ctx := context.Background()
	admin := redis.NewClient(&redis.Options{Addr: addr, DB: 0})
	t.Cleanup(func() { admin.Close() })
	if err := admin.Ping(ctx).Err(); err != nil {
		t.Fatalf("testenv: redis at %s is not reachable (start it, or run make test): %v", addr, err)
	}
	owner := fmt.Sprintf("%d:%s:%d", os.Getpid(), t.Name(), time.Now().UnixNano())
	deadline := time.Now().Add(5 * time.Minute)
	for {
		for db := 1; db <= 15; db++ {
			key := lockPrefix + strconv.Itoa(db)
			ok, err := admin.SetNX(ctx, key, owner, 15*time.Minute).Result()
			if err != nil {
				t.Fatalf("testenv: reserve redis db: %v", err)
			}
			if !ok {
				continue
			}
			c := redis.NewClient(&redis.Options{Addr: addr, DB: db})
			if err := c.FlushDB(ctx).Err(); err != nil {
				t.Fatalf("testenv: flush redis db %d: %v", db, err)
			}
			t.Cleanup(func() {
				c.FlushDB(context.Background())
				c.Close()
				if v, _ := admin.Get(context.Background(), key).Result(); v == owner {
					admin.Del(context.Background(), key)
				}
			})
			return &Redis{Addr: addr, DB: db, Client: c}
		}
		if time.Now().After(deadline) {
			t.Fatal("testenv: no free redis database after 5 minutes")
		}
		time.Sleep(100 * time.Millisecond)
	}
}
