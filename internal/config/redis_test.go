package config

import (
	"context"
	"crypto/tls"
	"net"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/salonworks/jobs/internal/testenv"
)

func TestRedisOptions(t *testing.T) {
	t.Parallel()
	type conn struct {
		Addr, Username, Password string
		DB                       int
		TLS                      bool
		MinTLS                   uint16
		ServerName               string
	}
	tests := []struct {
		name string
		env  map[string]string
		want conn
	}{
		{name: "rediss URL",
			env:  map[string]string{"REDIS_URL": "rediss://default:s%40cret@master.cache.amazonaws.com:6380/3"},
			want: conn{Addr: "master.cache.amazonaws.com:6380", Username: "default", Password: "s@cret", DB: 3, TLS: true, MinTLS: tls.VersionTLS12, ServerName: "master.cache.amazonaws.com"}},
		{name: "redis URL",
			env:  map[string]string{"REDIS_URL": "redis://:pw@10.0.0.5"},
			want: conn{Addr: "10.0.0.5:6379", Password: "pw"}},
		{name: "parts with TLS",
			env:  map[string]string{"REDIS_HOST": "cache.internal", "REDIS_PORT": "6380", "REDIS_PASSWORD": "tok", "REDIS_DB": "15", "REDIS_TLS": "true"},
			want: conn{Addr: "cache.internal:6380", Password: "tok", DB: 15, TLS: true, MinTLS: tls.VersionTLS12, ServerName: "cache.internal"}},
		{name: "parts without TLS",
			env:  map[string]string{"REDIS_HOST": "cache.internal", "REDIS_TLS": "false"},
			want: conn{Addr: "cache.internal:6379"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := Load(env(with(tt.env, map[string]string{"APP_ENV": "development"})))
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			o := c.RedisOptions()
			got := conn{Addr: o.Addr, Username: o.Username, Password: o.Password, DB: o.DB, TLS: o.TLSConfig != nil}
			if o.TLSConfig != nil {
				got.MinTLS, got.ServerName = o.TLSConfig.MinVersion, o.TLSConfig.ServerName
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("RedisOptions (-want +got):\n%s", diff)
			}
			a := c.AsynqRedis()
			if a.Addr != o.Addr || a.Username != o.Username || a.Password != o.Password || a.DB != o.DB || (a.TLSConfig == nil) != (o.TLSConfig == nil) {
				t.Errorf("AsynqRedis() = %+v, want the connection of RedisOptions", a)
			}
		})
	}
}

// TestRedisOptionsReachTheSameDatabase connects go-redis and asynq with a
// loaded Config and checks that both land in the configured database.
func TestRedisOptionsReachTheSameDatabase(t *testing.T) {
	t.Parallel()
	r := testenv.NewRedis(t)
	host, port, err := net.SplitHostPort(r.Addr)
	if err != nil {
		t.Fatal(err)
	}
	c, err := Load(env(map[string]string{"APP_ENV": "test", "REDIS_HOST": host, "REDIS_PORT": port, "REDIS_DB": strconv.Itoa(r.DB)}))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}

	rc := redis.NewClient(c.RedisOptions())
	defer rc.Close()
	if err := rc.Set(context.Background(), "config:probe", "1", 0).Err(); err != nil {
		t.Fatalf("set through RedisOptions: %v", err)
	}
	if v, err := r.Client.Get(context.Background(), "config:probe").Result(); err != nil || v != "1" {
		t.Fatalf("probe key in db %d = %q, %v; RedisOptions wrote elsewhere", r.DB, v, err)
	}

	client := asynq.NewClient(c.AsynqRedis())
	defer client.Close()
	info, err := client.Enqueue(asynq.NewTask("config:test", nil))
	if err != nil {
		t.Fatalf("enqueue: %v", err)
	}
	// The test's own client reads the database it reserved.
	n, err := r.Client.Exists(context.Background(), "asynq:{"+info.Queue+"}:t:"+info.ID).Result()
	if err != nil || n != 1 {
		t.Fatalf("task key in db %d: exists=%d err=%v; asynq wrote elsewhere", r.DB, n, err)
	}
}
