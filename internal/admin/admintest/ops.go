package admintest

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"
	"google.golang.org/protobuf/encoding/protowire"
)

// Ops is what SeedOps put in the database and Redis, for the operations
// pages' tests to name.
type Ops struct {
	SalonID int64
	// Campaigns: one sending (with quiet-hours waits and recent sends),
	// one scheduled, one sent.
	Sending, Scheduled, Sent int64
	// Texts: an unknown one, a failed one Twilio refused (safe to
	// resend), a failed one to an opted-out number, a failed one whose
	// outcome was lost.
	Unknown, Refused, OptedOut, LostFailed int64
	// Emails: a failed one whose outcome is unknown (with its archived
	// task, EmailTaskID) and one the provider rejected.
	EmailUnknown, EmailRejected int64
	EmailTaskID                 string
	// DeadReplayable is a dead letter that replays into a valid task;
	// DeadSecret one whose payload holds a reset link.
	DeadReplayable, DeadSecret string
	// Schedule is the entry with a recorded tick, ScheduleTask its task.
	Schedule, ScheduleTask string
	// Leader is the scheduler ID holding the lease.
	Leader string
}

// Probes in the seeded data that no page may show.
const (
	// ResetToken is in the archived email task and a dead letter.
	ResetToken = "reset-token-7c1e"
	// RecipientEmail is the failed emails' address.
	RecipientEmail = "josé.client@example.com"
	// RecipientPhone is the texts' number.
	RecipientPhone = "+33612345678"
)

// SeedOps fills pool and rdb with the rows the operations pages show.
func SeedOps(t testing.TB, pool *pgxpool.Pool, rdb redis.UniversalClient, now time.Time) Ops {
	t.Helper()
	ctx := context.Background()
	var o Ops
	q := func(sql string, args ...any) int64 {
		t.Helper()
		var id int64
		if err := pool.QueryRow(ctx, sql, args...).Scan(&id); err != nil {
			t.Fatalf("seed: %s: %v", sql, err)
		}
		return id
	}
	o.SalonID = q(`INSERT INTO salons (name, timezone) VALUES ('Salon Lumière', 'Europe/Paris') RETURNING id`)
	o.Sending = q(`INSERT INTO campaigns (salon_id, name, body, send_at, status, started_at, recipients_total)
		VALUES ($1, 'Spring offer', 'Spring: 20% off', $2, 'sending', $3, 60) RETURNING id`, o.SalonID, now.Add(-20*time.Minute), now.Add(-15*time.Minute))
	o.Scheduled = q(`INSERT INTO campaigns (salon_id, name, body, send_at) VALUES ($1, 'Winter sale', 'Winter', $2) RETURNING id`, o.SalonID, now.Add(48*time.Hour))
	o.Sent = q(`INSERT INTO campaigns (salon_id, name, body, send_at, status, started_at, finished_at, recipients_total, sent_count)
		VALUES ($1, 'New year', 'Happy new year', $2, 'sent', $2, $3, 3, 3) RETURNING id`, o.SalonID, now.Add(-72*time.Hour), now.Add(-71*time.Hour))
	n := 0
	text := func(kind, category, status string, campaign any, extra string, args ...any) int64 {
		n++
		base := []any{fmt.Sprintf("seed:%d", n), o.SalonID, campaign, category, kind, RecipientPhone, "Hello from the salon"}
		return q(`INSERT INTO sms_messages (idempotency_key, salon_id, campaign_id, category, kind, to_phone, body, status`+extra+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, '`+status+`'`+placeholders(8, len(args))+`) RETURNING id`, append(base, args...)...)
	}
	for i := range 30 {
		text("campaign", "marketing", "sent", o.Sending, ", twilio_sid, sent_at", fmt.Sprintf("SM%032d", i), now.Add(-time.Duration(i)*10*time.Second))
	}
	for range 20 {
		text("campaign", "marketing", "pending", o.Sending, ", wait_reason, send_after", "quiet_hours", now.Add(9*time.Hour))
	}
	for range 10 {
		text("campaign", "marketing", "pending", o.Sending, "")
	}
	// Fanned out ("sent") but its texts still wait for quiet hours: live
	// until they leave.
	autumn := q(`INSERT INTO campaigns (salon_id, name, body, send_at, status, started_at, recipients_total)
		VALUES ($1, 'Autumn offer', 'Autumn', $2, 'sent', $2, 4) RETURNING id`, o.SalonID, now.Add(-time.Hour))
	for range 4 {
		text("campaign", "marketing", "pending", autumn, ", wait_reason, send_after", "quiet_hours", now.Add(7*time.Hour))
	}
	for range 3 {
		text("campaign", "marketing", "delivered", o.Sent, ", twilio_sid, sent_at", fmt.Sprintf("SM%032d", 100+n), now.Add(-71*time.Hour))
	}
	o.Unknown = text("confirmation", "transactional", "unknown", nil, ", error_message, claimed_at, attempts",
		"Post https://api.twilio.com/2010-04-01/Accounts/AC1/Messages.json: timeout awaiting response headers", now.Add(-30*time.Minute), 1)
	o.Refused = text("adhoc", "transactional", "failed", nil, ", error_code, error_message, failed_at",
		30001, "Twilio refused the message to "+RecipientPhone+": queue overflow", now.Add(-2*time.Hour))
	o.OptedOut = text("review", "marketing", "failed", nil, ", error_code, error_message, failed_at",
		21610, "attempt to send to unsubscribed recipient", now.Add(-3*time.Hour))
	o.LostFailed = text("campaign", "marketing", "failed", o.Sending, ", error_message, failed_at",
		"outcome unknown and not found at the provider; not resent", now.Add(-4*time.Hour))

	// Emails: the outcome-unknown one keeps its task in the archive.
	o.EmailUnknown = q(`INSERT INTO email_messages (idempotency_key, template, to_address, status, error, attempts)
		VALUES ('reset:ana:1', 'password_reset', $1, 'failed', 'outcome unknown: timeout after the request left; not resent', 1) RETURNING id`, RecipientEmail)
	o.EmailRejected = q(`INSERT INTO email_messages (idempotency_key, template, to_address, status, error, attempts)
		VALUES ('welcome:ana', 'welcome', $1, 'failed', 'MessageRejected: Email address is not verified. '||$1, 1) RETURNING id`, RecipientEmail)
	client := asynq.NewClientFromRedisClient(rdb)
	insp := asynq.NewInspectorFromRedisClient(rdb)
	payload, _ := json.Marshal(map[string]any{"template": "password_reset", "to": RecipientEmail, "idempotency_key": "reset:ana:1",
		"data": map[string]any{"name": "Ana", "reset_url": "https://app.example/reset?token=" + ResetToken, "expires_in_minutes": 30}})
	o.EmailTaskID = "ingest:reset-ana-1"
	if _, err := client.Enqueue(asynq.NewTask("email:send", payload), asynq.Queue("emails"), asynq.TaskID(o.EmailTaskID)); err != nil {
		t.Fatal(err)
	}
	if err := insp.ArchiveTask("emails", o.EmailTaskID); err != nil {
		t.Fatal(err)
	}
	// Dead letters.
	dead := func(values ...any) string {
		id, err := rdb.XAdd(ctx, &redis.XAddArgs{Stream: "jobs:ingest:dead", Values: values}).Result()
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	o.DeadReplayable = dead("kind", "upload:process", "payload", `{"upload_id":7}`,
		"error", `unknown kind "upload:process" (known kinds: email:send)`, "failed_at", now.Add(-time.Hour).Format(time.RFC3339Nano))
	o.DeadSecret = dead("kind", "email:send", "payload", string(payload), "idempotency_key", "reset:"+RecipientEmail,
		"error", `email:send: data.reset_url: "https://app.example/reset?token=`+ResetToken+`" is not allowed for `+RecipientEmail, "failed_at", now.Format(time.RFC3339Nano))
	// The scheduler: a leader and one recorded tick.
	o.Leader = "sched-host:42:abcd1234"
	if err := rdb.Set(ctx, "jobs:scheduler:leader", o.Leader, time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	tick := now.Truncate(time.Minute)
	o.Schedule = "review-sms"
	o.ScheduleTask = fmt.Sprintf("schedule:review-sms:%d", tick.Unix())
	if _, err := client.Enqueue(asynq.NewTask("sms:dispatch_reviews", []byte(`{}`)), asynq.Queue("sms"), asynq.TaskID(o.ScheduleTask)); err != nil {
		t.Fatal(err)
	}
	if err := rdb.ZAdd(ctx, "asynq:scheduler_history:"+o.Schedule, redis.Z{Score: float64(tick.Unix()), Member: enqueueEvent(o.ScheduleTask, tick)}).Err(); err != nil {
		t.Fatal(err)
	}
	return o
}

// placeholders returns ", $from, $from+1, …" for n arguments.
func placeholders(from, n int) string {
	s := ""
	for i := range n {
		s += fmt.Sprintf(", $%d", from+i)
	}
	return s
}

// enqueueEvent encodes a scheduler enqueue event the way asynq reads it
// (asynq's SchedulerEnqueueEvent protobuf: task_id, enqueue_time).
func enqueueEvent(taskID string, at time.Time) []byte {
	var ts []byte
	ts = protowire.AppendTag(ts, 1, protowire.VarintType)
	ts = protowire.AppendVarint(ts, uint64(at.Unix()))
	var b []byte
	b = protowire.AppendTag(b, 1, protowire.BytesType)
	b = protowire.AppendString(b, taskID)
	b = protowire.AppendTag(b, 2, protowire.BytesType)
	return protowire.AppendBytes(b, ts)
}

// SeedOutboxes adds n texts and n emails, nearly all finished, as a busy
// day leaves them, for the pages' speed with large outboxes.
func SeedOutboxes(t testing.TB, pool *pgxpool.Pool, salonID int64, n int) {
	t.Helper()
	ctx := context.Background()
	var campaign int64
	if err := pool.QueryRow(ctx, `INSERT INTO campaigns (salon_id, name, body, send_at, status, started_at, recipients_total)
		VALUES ($1, 'Big campaign', 'Big', now() - interval '1 hour', 'sending', now() - interval '1 hour', $2) RETURNING id`,
		salonID, n/2).Scan(&campaign); err != nil {
		t.Fatalf("seed campaign: %v", err)
	}
	// Half the texts are one campaign's: sent, then waiting for quiet
	// hours; the rest confirmations, nearly all delivered.
	if _, err := pool.Exec(ctx, `
		INSERT INTO sms_messages (idempotency_key, salon_id, campaign_id, category, kind, to_phone, body, status, twilio_sid, sent_at,
			error_code, error_message, wait_reason, send_after)
		SELECT 'bulk:' || i, $1, CASE WHEN i % 2 = 0 THEN $3::bigint END,
		       CASE WHEN i % 2 = 0 THEN 'marketing' ELSE 'transactional' END,
		       CASE WHEN i % 2 = 0 THEN 'campaign' ELSE 'confirmation' END,
		       '+1555' || lpad(i::text, 7, '0'), 'See you tomorrow',
		       CASE WHEN i % 500 = 0 THEN 'failed' WHEN i % 777 = 0 THEN 'unknown' WHEN i % 2 = 0 AND i > $2 / 2 THEN 'pending' ELSE 'delivered' END,
		       CASE WHEN i % 500 = 0 OR i % 777 = 0 OR (i % 2 = 0 AND i > $2 / 2) THEN NULL ELSE 'SMB' || lpad(i::text, 31, '0') END,
		       now() - (i || ' seconds')::interval,
		       CASE WHEN i % 500 = 0 THEN 30003 END, CASE WHEN i % 500 = 0 THEN 'unreachable handset' END,
		       CASE WHEN i % 2 = 0 AND i > $2 / 2 THEN 'quiet_hours' END,
		       CASE WHEN i % 2 = 0 AND i > $2 / 2 THEN now() + interval '9 hours' END
		FROM generate_series(1, $2) AS i`, salonID, n, campaign); err != nil {
		t.Fatalf("seed texts: %v", err)
	}
	if _, err := pool.Exec(ctx, `
		INSERT INTO email_messages (idempotency_key, template, to_address, status, error, sent_at)
		SELECT 'bulk:' || i, 'welcome', 'client' || i || '@example.com',
		       CASE WHEN i % 400 = 0 THEN 'failed' ELSE 'sent' END,
		       CASE WHEN i % 800 = 0 THEN 'outcome unknown: timeout' WHEN i % 400 = 0 THEN 'MessageRejected' END, now()
		FROM generate_series(1, $1) AS i`, n); err != nil {
		t.Fatalf("seed emails: %v", err)
	}
	// As autovacuum leaves a busy table: statistics and visibility map
	// up to date.
	for _, table := range []string{"sms_messages", "email_messages"} {
		if _, err := pool.Exec(ctx, `VACUUM ANALYZE `+table); err != nil {
			t.Fatal(err)
		}
	}
}
