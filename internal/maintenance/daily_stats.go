package maintenance

import (
	"context"
	"fmt"

	"github.com/hibiken/asynq"
	"github.com/jackc/pgx/v5"

	"github.com/salonworks/jobs/internal/taskerr"
	synctasks "github.com/salonworks/jobs/tasks/sync"
)

// StatsResult says what one run did.
type StatsResult struct {
	// Date is the day aggregated, YYYY-MM-DD.
	Date string
	// Salons is the number of salons aggregated.
	Salons int
	// Rows is the number of daily_stats rows written.
	Rows int
	// Removed is the number of stale rows deleted.
	Removed int
	// UnknownTimeZone lists the salons skipped because Postgres does not
	// know their time zone, in ascending order; their rows are untouched.
	UnknownTimeZone []int64
}

// DailyStats handles one attempt of sync:daily_stats: it aggregates the
// payload's date, yesterday (UTC) when it has none.
func (h *Maintenance) DailyStats(ctx context.Context, _ *asynq.Task, p *synctasks.DailyStatsPayload) error {
	date := p.Date
	if date == "" {
		date = utcDate(h.Clock.Now(), -1)
	}
	_, err := h.DailyStatsFor(ctx, date)
	return err
}

// DailyStatsFor aggregates date's appointments (YYYY-MM-DD) into
// daily_stats, one row per salon (technician_id NULL) and one per
// technician with appointments that day. The day is each salon's own
// calendar day in its time zone, and an appointment belongs to the day it
// starts on.
//
// Any date can be recomputed: the rows that still hold are updated in
// place, those that no longer hold (a technician whose appointments moved
// away) are deleted, in one transaction, so a recompute over unchanged
// appointments gives identical rows but for computed_at.
//
// Salons whose time zone Postgres does not know cannot have a day and are
// skipped; the others are aggregated and committed, and the error then
// names the skipped ones and is permanent, since a retry cannot fix the
// salon's data.
func (h *Maintenance) DailyStatsFor(ctx context.Context, date string) (StatsResult, error) {
	res := StatsResult{Date: date}
	err := pgx.BeginFunc(ctx, h.Pool, func(tx pgx.Tx) error {
		// Two runs for one date would otherwise interleave their deletes
		// and upserts; runs for different dates do not meet.
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(
			hashtext('salonworks/jobs daily_stats ' || coalesce(current_schema(), '')),
			$1::date - DATE '2000-01-01')`, date); err != nil {
			return fmt.Errorf("lock date: %w", err)
		}
		rows, err := tx.Query(ctx, unknownZonesSQL)
		if err != nil {
			return fmt.Errorf("check time zones: %w", err)
		}
		unknown, err := pgx.CollectRows(rows, pgx.RowTo[int64])
		if err != nil {
			return fmt.Errorf("check time zones: %w", err)
		}
		if len(unknown) > 0 {
			res.UnknownTimeZone = unknown
		}
		err = tx.QueryRow(ctx, aggregateSQL, date, res.UnknownTimeZone).Scan(&res.Salons, &res.Rows, &res.Removed)
		if err != nil {
			return fmt.Errorf("aggregate: %w", err)
		}
		return nil
	})
	if err != nil {
		return res, fmt.Errorf("daily stats for %s: %w", date, err)
	}
	logger(h.Logger).Info("daily stats computed", "date", date, "salons", res.Salons,
		"rows", res.Rows, "removed", res.Removed, "unknown_time_zone", len(res.UnknownTimeZone))
	if len(res.UnknownTimeZone) > 0 {
		return res, taskerr.Permanent(fmt.Sprintf("daily stats for %s: salons %s skipped: unknown time zone",
			date, idList(res.UnknownTimeZone)), nil)
	}
	return res, nil
}

// unknownZonesSQL lists salons whose time zone AT TIME ZONE would refuse,
// which would fail the whole aggregation.
const unknownZonesSQL = `
SELECT s.id FROM salons s
WHERE NOT EXISTS (SELECT 1 FROM pg_timezone_names z WHERE lower(z.name) = lower(s.timezone))
ORDER BY s.id`

// aggregateSQL recomputes one date ($1) for every salon but those in $2:
// days gives each salon its local day as a UTC range (so the
// (salon_id, starts_at) index serves it, and DST days last 23 or 25 hours),
// stats has the salon rows (zero when the day was empty) and the
// technician rows, then stale rows go and the rest are upserted. The
// deleted and upserted keys are disjoint, so one statement can do both.
const aggregateSQL = `
WITH days AS MATERIALIZED (
    SELECT s.id AS salon_id,
           ($1::date)::timestamp AT TIME ZONE s.timezone     AS day_start,
           ($1::date + 1)::timestamp AT TIME ZONE s.timezone AS day_end
    FROM salons s
    WHERE s.id <> ALL(COALESCE($2::bigint[], '{}'))
),
appts AS MATERIALIZED (
    SELECT a.salon_id, a.technician_id, a.customer_id, a.status
    FROM days d
    JOIN appointments a ON a.salon_id = d.salon_id
                       AND a.starts_at >= d.day_start AND a.starts_at < d.day_end
),
stats AS MATERIALIZED (
    SELECT d.salon_id, NULL::bigint AS technician_id,
           count(*) FILTER (WHERE a.status IN ('booked', 'confirmed')) AS booked,
           count(*) FILTER (WHERE a.status = 'completed')              AS completed,
           count(*) FILTER (WHERE a.status = 'cancelled')              AS cancelled,
           count(*) FILTER (WHERE a.status = 'no_show')                AS no_show,
           count(DISTINCT a.customer_id)                               AS distinct_customers
    FROM days d
    LEFT JOIN appts a ON a.salon_id = d.salon_id
    GROUP BY d.salon_id
    UNION ALL
    SELECT a.salon_id, a.technician_id,
           count(*) FILTER (WHERE a.status IN ('booked', 'confirmed')),
           count(*) FILTER (WHERE a.status = 'completed'),
           count(*) FILTER (WHERE a.status = 'cancelled'),
           count(*) FILTER (WHERE a.status = 'no_show'),
           count(DISTINCT a.customer_id)
    FROM appts a
    WHERE a.technician_id IS NOT NULL
    GROUP BY a.salon_id, a.technician_id
),
removed AS (
    DELETE FROM daily_stats ds
    USING days d
    WHERE ds.salon_id = d.salon_id AND ds.stat_date = $1::date
      AND NOT EXISTS (SELECT 1 FROM stats st
                      WHERE st.salon_id = ds.salon_id
                        AND COALESCE(st.technician_id, 0) = ds.technician_key)
    RETURNING 1
),
upserted AS (
    INSERT INTO daily_stats AS ds
           (salon_id, stat_date, technician_id, booked, completed, cancelled, no_show, distinct_customers, computed_at)
    SELECT salon_id, $1::date, technician_id, booked, completed, cancelled, no_show, distinct_customers, now()
    FROM stats
    ON CONFLICT (salon_id, stat_date, technician_key) DO UPDATE
    SET booked = EXCLUDED.booked, completed = EXCLUDED.completed, cancelled = EXCLUDED.cancelled,
        no_show = EXCLUDED.no_show, distinct_customers = EXCLUDED.distinct_customers,
        computed_at = EXCLUDED.computed_at
    RETURNING 1
)
SELECT (SELECT count(*) FROM days)::int, (SELECT count(*) FROM upserted)::int, (SELECT count(*) FROM removed)::int`
