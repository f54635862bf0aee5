package reports_test

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"
	"testing"
	"time"

	"github.com/salonworks/jobs/internal/reports"
	"github.com/salonworks/jobs/internal/testenv"
)

// BenchmarkAppointmentsExport exports 100,000 and 1,000,000 appointments
// of one salon to CSV in local storage: rows per second and the process's
// peak RSS during the export (goal: under 64 MB, and flat as rows grow).
func BenchmarkAppointmentsExport(b *testing.B) {
	f := newFixture(b)
	ctx := context.Background()
	for _, rows := range []int{100_000, 1_000_000} {
		b.Run(fmt.Sprintf("rows=%d", rows), func(b *testing.B) {
			salon := f.id(`INSERT INTO salons (name, timezone) VALUES ($1, 'America/New_York') RETURNING id`, fmt.Sprintf("Bench %d", rows))
			seedBulk(b, f, salon, rows)
			var peaks []float64
			b.ResetTimer()
			for range b.N {
				b.StopTimer()
				id := f.request(reports.TypeAppointmentsExport, salon, "2026-01-01", "2026-12-31")
				runtime.GC()
				debug.FreeOSMemory()
				base := testenv.ProcStatusKB(b, "VmRSS")
				reset := testenv.ResetPeakRSS()
				b.StartTimer()

				start := time.Now()
				if err := generate(ctx, f.g, id); err != nil {
					b.Fatal(err)
				}
				elapsed := time.Since(start)

				b.StopTimer()
				peak := testenv.ProcStatusKB(b, "VmHWM")
				info, err := f.store.Stat(ctx, f.row(id).StorageKey)
				if err != nil {
					b.Fatal(err)
				}
				if !reset {
					b.Log("VmHWM could not be reset: peak is the whole process's")
				}
				b.Logf("%d rows: %.2f s, %.0f rows/s, CSV %.0f MB, RSS before %.0f MB, peak %.0f MB",
					rows, elapsed.Seconds(), float64(rows)/elapsed.Seconds(), float64(info.Size)/(1<<20),
					float64(base)/1024, float64(peak)/1024)
				b.ReportMetric(float64(rows)/elapsed.Seconds(), "rows/s")
				peaks = append(peaks, float64(peak)/1024)
				f.store.Delete(ctx, f.row(id).StorageKey)
				b.StartTimer()
			}
			b.ReportMetric(maxOf(peaks), "peak-RSS-MB")
		})
	}
}

// seedBulk gives salon n appointments across 2026, over 2,000 customers
// and 12 technicians, in one statement.
func seedBulk(b *testing.B, f *fixture, salon int64, n int) {
	b.Helper()
	start := time.Now()
	f.exec(`INSERT INTO technicians (salon_id, name) SELECT $1, 'Technician ' || i FROM generate_series(1, 12) i`, salon)
	f.exec(`INSERT INTO customers (salon_id, first_name, last_name, phone, email)
		SELECT $1::bigint, 'First' || i, 'Last' || i, '+1555' || lpad((i + $1::bigint * 10000)::text, 7, '0'), 'c' || i || '@example.com'
		FROM generate_series(1, 2000) i`, salon)
	// Each insert above takes consecutive ids.
	f.exec(`INSERT INTO appointments (salon_id, customer_id, technician_id, starts_at, ends_at, status, completed_at)
		SELECT $1, c.lo + i % 2000, t.lo + i % 12, s, s + interval '45 minutes',
		       (ARRAY['booked','confirmed','completed','cancelled','no_show'])[1 + i % 5],
		       CASE WHEN i % 5 = 2 THEN s + interval '50 minutes' END
		FROM (SELECT min(id) AS lo FROM customers WHERE salon_id = $1) c,
		     (SELECT min(id) AS lo FROM technicians WHERE salon_id = $1) t,
		     generate_series(1, $2::int) i,
		     LATERAL (SELECT timestamptz '2026-01-01 14:00Z' + (i * 31) * interval '1 second' AS s) x`, salon, n)
	f.exec(`ANALYZE appointments`)
	b.Logf("seeded %d appointments in %.1f s", n, time.Since(start).Seconds())
}

func maxOf(xs []float64) float64 {
	m := 0.0
	for _, x := range xs {
		m = max(m, x)
	}
	return m
}
