package postgres_test

import (
	"strings"
	"testing"

	"github.com/salonworks/jobs/internal/postgres"
	"github.com/salonworks/jobs/internal/testenv"
)

func TestConnect(t *testing.T) {
	t.Parallel()
	pg := testenv.NewEmptyPostgres(t)
	pool, err := postgres.Connect(t.Context(), pg.URL)
	if err != nil {
		t.Fatalf("Connect: %v", err)
	}
	defer pool.Close()
	var schema string
	if err := pool.QueryRow(t.Context(), "SELECT current_schema()").Scan(&schema); err != nil {
		t.Fatal(err)
	}
	if schema != pg.Schema {
		t.Errorf("current_schema() = %q, want the URL's search_path %q", schema, pg.Schema)
	}
}

func TestConnectErrorHidesPassword(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		url     string
		secrets []string
	}{
		{
			name:    "nothing listening",
			url:     "postgres://jobs:S3cr3t-pw@127.0.0.1:1/jobs?connect_timeout=2",
			secrets: []string{"S3cr3t-pw"},
		},
		{
			name:    "port is not a number",
			url:     "postgres://jobs:S3cr3t-pw@127.0.0.1:notaport/jobs",
			secrets: []string{"S3cr3t-pw"},
		},
		{
			name:    "escaped characters",
			url:     "postgres://jobs:p%40ss%3Aw0rd%2F@127.0.0.1:1/jobs?connect_timeout=2",
			secrets: []string{"p%40ss%3Aw0rd%2F", "p@ss:w0rd/"},
		},
		{
			name:    "unescaped at sign breaks the URL",
			url:     "postgres://jobs:p@ss-w0rd@127.0.0.1:5432/jobs",
			secrets: []string{"p@ss-w0rd", "ss-w0rd"},
		},
		{
			name:    "password in the query",
			url:     "postgres://jobs@127.0.0.1:1/jobs?password=Qu3ry-pw&connect_timeout=2",
			secrets: []string{"Qu3ry-pw"},
		},
		{
			name:    "keyword/value form",
			url:     "host=127.0.0.1 port=1 user=jobs password=Kv-s3cret dbname=jobs connect_timeout=2",
			secrets: []string{"Kv-s3cret"},
		},
		{
			name:    "keyword/value form, bad port",
			url:     "host=127.0.0.1 port=x user=jobs password='Kv s3cret' dbname=jobs",
			secrets: []string{"Kv s3cret"},
		},
		{
			// Trust authentication accepts any password; the server refuses
			// the missing database instead.
			name:    "server refuses",
			url:     "postgres://postgres:S3rver-pw@127.0.0.1:5432/no_such_database_for_jobs?sslmode=disable",
			secrets: []string{"S3rver-pw"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			pool, err := postgres.Connect(t.Context(), tt.url)
			if err == nil {
				pool.Close()
				t.Fatal("Connect succeeded, want an error")
			}
			for _, s := range tt.secrets {
				if strings.Contains(err.Error(), s) {
					t.Errorf("error contains the password %q: %v", s, err)
				}
			}
		})
	}
}
